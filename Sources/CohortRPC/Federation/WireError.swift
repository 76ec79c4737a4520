/// A message that cannot be turned into Cohort's values: a field missing, out of range or
/// inconsistent. The text names the field; servers answer it as `invalidArgument`.
public struct WireError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
