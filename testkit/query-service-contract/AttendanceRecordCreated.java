import java.time.LocalDateTime;

/**
 * What the query service maps an attendance event into: these names and types, no Jackson annotations, filled
 * through a no-argument constructor and its properties (a Lombok @Data class there). Our events have no
 * sessionId and no status (this service knows neither): Jackson leaves both null.
 */
public class AttendanceRecordCreated {
  public Long id;
  public String userId;
  public String sessionId;
  public LocalDateTime attendanceTime;
  public AttendanceStatus status;
  public LocalDateTime createdAt;
}
