/// An error from a server-side aggregation strategy: a configuration out of range, an
/// update that does not fit the model, or a round that cannot be aggregated.
///
/// `message` is complete on its own and names the field or update at fault, e.g.
///
/// ```
/// strategy.trim_fraction must be in [0, 0.5), got 0.6
/// update 3 has 10 parameters, expected 12
/// ```
///
/// Modelled on `PrivacyError` (and grpc-swift's `RuntimeError`): an extensible `code` for
/// code that reacts to particular failures, and a `message` for people.
public struct StrategyError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What went wrong, for code that reacts to particular failures.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A setting is out of its domain, missing, or does not apply to the named strategy.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A delta, the global model or restored state has the wrong number of parameters.
        public static let shapeMismatch = Code("shapeMismatch")
        /// A delta or restored state holds NaN or ±∞.
        public static let nonFiniteValue = Code("nonFiniteValue")
        /// A record count is negative, or zero when updates are weighted by records.
        public static let invalidRecordCount = Code("invalidRecordCount")
        /// The round has no updates to aggregate.
        public static let noUpdates = Code("noUpdates")
        /// Too few updates for a robust aggregate (e.g. a trimmed mean that would trim nothing).
        public static let tooFewUpdates = Code("tooFewUpdates")
        /// The strategy needs every delta, but the accumulator kept only their sum.
        public static let updatesNotKept = Code("updatesNotKept")
        /// The accumulator was built with a different weighting than the strategy's.
        public static let weightingMismatch = Code("weightingMismatch")
        /// Restored state belongs to another strategy, or is inconsistent.
        public static let stateMismatch = Code("stateMismatch")

        /// The code's name, e.g. `shapeMismatch`.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// The full human-readable text.
    public var message: String

    /// An error with the given code and complete message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message, for logs and command-line output.
    public var description: String { message }
}
