import java.time.LocalDateTime;

/** What the query service maps a dating participation event into: these names and types, no Jackson annotations. */
public class DatingParticipationRecorded {
  public Long id;
  public String datingGroupId;
  public String userId;
  public String meetingId;
  public String eventName;
  public LocalDateTime scheduledAt;
  public LocalDateTime meetingCreatedAt;
  public LocalDateTime recordedAt;
}
