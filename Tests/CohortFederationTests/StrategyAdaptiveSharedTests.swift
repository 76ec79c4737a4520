import CohortFederation
import Testing

/// What FedAdam, FedYogi and FedAdagrad share through `AdaptiveFederatedStrategy`: each must
/// still tag its checkpoint and its errors with its own name, and resume exactly.
@Suite("AdaptiveFederatedStrategy")
struct StrategyAdaptiveSharedTests {
    static let kinds: [StrategyKind] = [.fedAdam, .fedYogi, .fedAdagrad]

    /// The strategy of `kind` with τ = 1e-3 and otherwise its defaults.
    static func make(_ kind: StrategyKind) throws -> any AdaptiveFederatedStrategy {
        switch kind {
        case .fedAdam: try FedAdam(tau: 1e-3)
        case .fedYogi: try FedYogi(tau: 1e-3)
        case .fedAdagrad: try FedAdagrad(tau: 1e-3)
        default: throw StrategyError(.invalidConfiguration, "\(kind.rawValue) is not adaptive")
        }
    }

    @Test("the checkpoint carries the strategy's own name and a restored run continues exactly", arguments: kinds)
    func checkpointRoundTrip(kind: StrategyKind) throws {
        var uninterrupted = try Self.make(kind)
        var global: [Float] = [1, 2]
        try runStrategyRound(&uninterrupted, strategyRound1, on: &global)
        let saved = uninterrupted.state
        #expect(saved.strategy == kind.rawValue && uninterrupted.name == kind.rawValue)
        #expect(saved.rounds == 1 && saved.firstMoment == uninterrupted.firstMoment)
        #expect(saved.secondMoment == uninterrupted.secondMoment && saved.velocity == nil)

        var restarted = try Self.make(kind)
        try restarted.restore(saved)
        var restartedGlobal = global
        try runStrategyRound(&uninterrupted, strategyRound2, on: &global)
        try runStrategyRound(&restarted, strategyRound2, on: &restartedGlobal)
        #expect(restartedGlobal == global)
        #expect(restarted.state == uninterrupted.state && restarted.rounds == 2)
    }

    @Test("apply's checks name the strategy and leave the model and moments unchanged", arguments: kinds)
    func applyErrorsNameTheStrategy(kind: StrategyKind) throws {
        var strategy = try Self.make(kind)
        #expect(!strategy.needsAllUpdates)
        var global: [Float] = [1, 2]
        var uniform = DeltaAccumulator(parameterCount: 2, keepAll: false, weighting: .uniform)
        try uniform.add([1, 1], records: 3)
        let mismatch = #expect(throws: StrategyError.self) { try strategy.apply(uniform, to: &global) }
        #expect(mismatch?.code == .weightingMismatch)
        #expect(mismatch?.message == "\(kind.rawValue) weights updates by records, the accumulator by uniform")
        let empty = strategy.makeAccumulator(parameterCount: 2)
        let none = #expect(throws: StrategyError.self) { try strategy.apply(empty, to: &global) }
        #expect(none?.message == "\(kind.rawValue): no updates to aggregate this round")
        #expect(global == [1, 2] && strategy.rounds == 0 && strategy.firstMoment == nil)
    }
}
