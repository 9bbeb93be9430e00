/**
 * The query service's attendance status (a nested enum of its attendance document there): a status on the
 * wire would have to be one of these names. Our events carry no status.
 */
public enum AttendanceStatus {
  PRESENT,
  ABSENT,
  LATE,
  EXCUSED
}
