import java.time.LocalDateTime;

/** What the query service maps a study participation event into: these names and types, no Jackson annotations. */
public class StudyParticipationRecorded {
  public Long id;
  public String studyGroupId;
  public String userId;
  public String meetingId;
  public String studyGroupName;
  public String meetingName;
  public LocalDateTime completedAt;
  public LocalDateTime recordedAt;
}
