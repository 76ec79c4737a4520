/// A strategy's server state, for checkpoints: what the orchestrator must save so that a
/// restarted run continues exactly where it stopped (FedAvgM's velocity v, the adaptive
/// strategies' moments m and v of Reddi et al., ICLR 2021, Algorithm 2).
///
/// Coded with snake_case keys:
///
/// ```json
/// {"strategy": "fedadam", "rounds": 12, "first_moment": [...], "second_moment": [...]}
/// ```
///
/// Vectors are `nil` for strategies without them, and before a strategy's first round (the
/// model's size is known only then). They are stored as `Float`: the checkpoint costs one
/// model per vector, like the model itself.
public struct StrategyState: Codable, Sendable, Hashable {
    /// The `name` of the strategy that saved it; restoring into another strategy fails.
    public var strategy: String
    /// Rounds applied so far.
    public var rounds: Int
    /// FedAvgM's momentum buffer v (Hsu, Qi, Brown 2019).
    public var velocity: [Float]?
    /// The adaptive strategies' first moment m (Reddi et al. 2021, Algorithm 2).
    public var firstMoment: [Float]?
    /// The adaptive strategies' second moment v (Reddi et al. 2021, Algorithm 2).
    public var secondMoment: [Float]?

    /// A state with the given fields; vectors default to absent.
    public init(
        strategy: String, rounds: Int, velocity: [Float]? = nil,
        firstMoment: [Float]? = nil, secondMoment: [Float]? = nil
    ) {
        self.strategy = strategy
        self.rounds = rounds
        self.velocity = velocity
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
    }

    private enum CodingKeys: String, CodingKey {
        case strategy
        case rounds
        case velocity
        case firstMoment = "first_moment"
        case secondMoment = "second_moment"
    }

    /// Checks that the state was saved by `name` and has a valid round count, and returns the
    /// round count.
    func rounds(restoringInto name: String) throws(StrategyError) -> Int {
        guard strategy == name else {
            throw StrategyError(.stateMismatch, "state was saved by strategy \(strategy), cannot restore it into \(name)")
        }
        guard rounds >= 0 else {
            throw StrategyError(.stateMismatch, "\(name) state: rounds must be ≥ 0, got \(rounds)")
        }
        return rounds
    }

    /// Checks that an optional state vector is finite (and ≥ 0 when `nonNegative`) and, when
    /// `count` is given, of that length.
    static func check(
        _ vector: [Float]?, _ field: String, of name: String, count: Int? = nil, nonNegative: Bool = false
    ) throws(StrategyError) {
        guard let vector else { return }
        if let count, vector.count != count {
            throw StrategyError(
                .shapeMismatch, "\(name) state: \(field) has \(vector.count) entries, expected \(count)")
        }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) {
            throw StrategyError(.nonFiniteValue, "\(name) state: \(field)[\(bad)] = \(vector[bad]) is not finite")
        }
        if nonNegative, let bad = vector.firstIndex(where: { $0 < 0 }) {
            throw StrategyError(.stateMismatch, "\(name) state: \(field)[\(bad)] = \(vector[bad]) must be ≥ 0")
        }
    }
}
