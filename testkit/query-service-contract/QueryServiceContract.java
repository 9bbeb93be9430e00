import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the GrewMeet query service (Spring Boot, spring-kafka) reads our events, stated from its source: each
 * listener reads one hard-coded topic as a String (StringDeserializer) and maps it with its ObjectMapper bean
 * into one class; it needs no __TypeId__ header. A message that fails to map is only logged there, so it is lost.
 */
final class QueryServiceContract {
  /** The topic each listener reads, and the class it maps the value into. */
  static final Map<String, Class<?>> EVENT_CLASS_BY_TOPIC = new LinkedHashMap<>();

  static {
    EVENT_CLASS_BY_TOPIC.put("grewmeet.recording.attendance.created", AttendanceRecordCreated.class);
    EVENT_CLASS_BY_TOPIC.put("grewmeet.recording.dating-participation", DatingParticipationRecorded.class);
    EVENT_CLASS_BY_TOPIC.put("grewmeet.recording.study-participation", StudyParticipationRecorded.class);
  }

  private QueryServiceContract() {}

  /** Its mapper: a plain one plus the Java time module, so FAIL_ON_UNKNOWN_PROPERTIES is on (one extra field loses the message). */
  static ObjectMapper objectMapper() {
    ObjectMapper mapper = new ObjectMapper();
    mapper.registerModule(new JavaTimeModule());
    return mapper;
  }
}
