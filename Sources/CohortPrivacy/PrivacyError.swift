/// An error in privacy settings or a privacy ledger: the request is wrong or not allowed,
/// not the program.
///
/// `message` is complete on its own and names the parameter or charge at fault, e.g.
///
/// ```
/// noise multiplier σ must be finite and > 0, got -1.0
/// charge "round 12" (id run-7/round-12) would raise ε to 3.12 at δ = 1e-5, over the budget ε = 3.00
/// ```
public struct PrivacyError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What went wrong, for code that reacts to particular failures.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A parameter is out of its domain: q outside [0, 1], σ ≤ 0, an order ≤ 1, δ outside (0, 1), …
        public static let invalidParameter = Code("invalidParameter")
        /// Two RDP curves, or a curve and a ledger, use different orders.
        public static let mismatchedOrders = Code("mismatchedOrders")
        /// Recording a charge would take ε past the budget.
        public static let budgetExceeded = Code("budgetExceeded")
        /// A charge id is already in the ledger with different parameters.
        public static let conflictingCharge = Code("conflictingCharge")
        /// No noise multiplier in the searched range meets the target ε.
        public static let calibrationFailed = Code("calibrationFailed")

        /// The code's name, e.g. `budgetExceeded`.
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
