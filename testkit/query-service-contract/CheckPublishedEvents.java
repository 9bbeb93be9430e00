import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Field;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads every message on the given topics from the beginning and maps each value the way the query service
 * does (QueryServiceContract). Prints one JSON report on stdout; exits 1 when a message did not map or a topic
 * is missing, 2 when it could not check at all.
 *
 *   CheckPublishedEvents topics
 *       the query service's topics and the class each one maps into
 *   CheckPublishedEvents check BOOTSTRAP [--echo] CONTRACT_TOPIC=TOPIC...
 *       reads TOPIC as the query service reads CONTRACT_TOPIC; --echo adds every mapped value, as Java sees it
 */
public final class CheckPublishedEvents {
  private static final Duration READ_DEADLINE = Duration.ofSeconds(60);
  private static final int VALUE_SHOWN_MAX = 2000;

  /** The report's own writer: nothing of the contract's mapper is shared with it. */
  private static final ObjectMapper REPORT = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    try {
      if (args.length == 1 && args[0].equals("topics")) {
        Map<String, String> topics = new LinkedHashMap<>();
        QueryServiceContract.EVENT_CLASS_BY_TOPIC.forEach((topic, type) -> topics.put(topic, type.getSimpleName()));
        print(Map.of("topics", topics));
        return;
      }
      if (args.length >= 2 && args[0].equals("check")) {
        System.exit(check(args) ? 0 : 1);
      }
      System.err.println("usage: CheckPublishedEvents topics | check BOOTSTRAP [--echo] CONTRACT_TOPIC=TOPIC...");
      System.exit(2);
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(2);
    }
  }

  private static boolean check(String[] args) throws Exception {
    String bootstrap = args[1];
    boolean echo = false;
    Map<String, String> contractTopicByTopic = new LinkedHashMap<>();
    for (int i = 2; i < args.length; i++) {
      if (args[i].equals("--echo")) {
        echo = true;
        continue;
      }
      int equals = args[i].indexOf('=');
      String contractTopic = equals < 0 ? "" : args[i].substring(0, equals);
      if (!QueryServiceContract.EVENT_CLASS_BY_TOPIC.containsKey(contractTopic)) {
        throw new IllegalArgumentException(
            "\"" + args[i] + "\" is not CONTRACT_TOPIC=TOPIC with one of " + QueryServiceContract.EVENT_CLASS_BY_TOPIC.keySet());
      }
      contractTopicByTopic.put(args[i].substring(equals + 1), contractTopic);
    }

    ObjectMapper mapper = QueryServiceContract.objectMapper();
    List<Map<String, Object>> reports = new ArrayList<>();
    boolean allMapped = true;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties(bootstrap))) {
      for (Map.Entry<String, String> binding : contractTopicByTopic.entrySet()) {
        Map<String, Object> report = read(consumer, mapper, binding.getKey(), binding.getValue(), echo);
        allMapped &= ((List<?>) report.get("failures")).isEmpty();
        reports.add(report);
      }
    }
    print(Map.of("topics", reports));
    return allMapped;
  }

  private static Properties consumerProperties(String bootstrap) {
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    properties.put(ConsumerConfig.CLIENT_ID_CONFIG, "query-service-contract-check");
    // The query service's listeners take keys and values as Strings: spring-kafka's StringDeserializer, UTF-8.
    properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    // No consumer group: partitions are assigned and read from the start, and nothing is committed.
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    properties.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    properties.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
    properties.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    return properties;
  }

  private static Map<String, Object> read(
      KafkaConsumer<String, String> consumer, ObjectMapper mapper, String topic, String contractTopic, boolean echo) {
    Class<?> eventClass = QueryServiceContract.EVENT_CLASS_BY_TOPIC.get(contractTopic);
    List<Map<String, Object>> failures = new ArrayList<>();
    List<Map<String, Object>> mapped = new ArrayList<>();
    Map<String, Integer> absentFields = new LinkedHashMap<>();
    int messages = 0;

    List<PartitionInfo> partitionInfos = consumer.partitionsFor(topic);
    List<TopicPartition> partitions = new ArrayList<>();
    if (partitionInfos != null) partitionInfos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
    if (partitions.isEmpty()) {
      failures.add(Map.of("error", "the topic does not exist"));
    } else {
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // What was there when the check began; later messages are left to a later check.
      Map<TopicPartition, Long> endOffsets = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + READ_DEADLINE.toNanos();
      while (!readToEnd(consumer, endOffsets)) {
        if (System.nanoTime() > deadline) {
          failures.add(Map.of("error", "read " + messages + " messages, not all, within " + READ_DEADLINE.toSeconds() + " s"));
          break;
        }
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.offset() >= endOffsets.get(new TopicPartition(record.topic(), record.partition()))) continue;
          messages++;
          try {
            Object event = mapper.readValue(record.value(), eventClass);
            Map<String, String> fields = fieldsOf(event);
            fields.forEach((name, value) -> {
              if (value == null) absentFields.merge(name, 1, Integer::sum);
            });
            if (echo) mapped.add(Map.of("partition", record.partition(), "offset", record.offset(), "fields", fields));
          } catch (JsonProcessingException | IllegalArgumentException e) {
            Map<String, Object> failure = new LinkedHashMap<>();
            failure.put("partition", record.partition());
            failure.put("offset", record.offset());
            failure.put("error", e.getClass().getSimpleName() + ": " + originalMessage(e));
            failure.put("value", shown(record.value()));
            failures.add(failure);
          }
        }
      }
    }

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("topic", topic);
    report.put("contractTopic", contractTopic);
    report.put("eventClass", eventClass.getSimpleName());
    report.put("messages", messages);
    report.put("absentFields", absentFields);
    report.put("failures", failures);
    if (echo) report.put("mapped", mapped);
    return report;
  }

  private static boolean readToEnd(KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> endOffsets) {
    for (Map.Entry<TopicPartition, Long> end : endOffsets.entrySet()) {
      if (consumer.position(end.getKey()) < end.getValue()) return false;
    }
    return true;
  }

  /** Every field of the mapped object as Java holds it, in text: ids in full, date-times in ISO form, enums by name. */
  private static Map<String, String> fieldsOf(Object event) throws IllegalArgumentException {
    Map<String, String> fields = new LinkedHashMap<>();
    for (Field field : event.getClass().getDeclaredFields()) {
      Object value;
      try {
        value = field.get(event);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
      fields.put(
          field.getName(),
          value == null
              ? null
              : value instanceof LocalDateTime time ? DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(time) : value.toString());
    }
    return fields;
  }

  private static String originalMessage(Exception e) {
    return e instanceof JsonProcessingException json ? json.getOriginalMessage() : String.valueOf(e.getMessage());
  }

  private static String shown(String value) {
    if (value == null) return null;
    return value.length() <= VALUE_SHOWN_MAX ? value : value.substring(0, VALUE_SHOWN_MAX) + "…";
  }

  private static void print(Object report) throws JsonProcessingException {
    System.out.println(REPORT.writeValueAsString(report));
  }
}
