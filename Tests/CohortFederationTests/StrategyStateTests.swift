import CohortFederation
import Foundation
import Testing

@Suite("StrategyState")
struct StrategyStateTests {
    @Test("FedAdam's moments survive a JSON checkpoint: a restored run continues exactly")
    func fedAdamResumesFromCheckpoint() throws {
        var uninterrupted = try FedAdam(tau: 1e-3)
        var expected: [Float] = [1, 2]
        try runStrategyRound(&uninterrupted, strategyRound1, on: &expected)
        let checkpoint = try JSONEncoder().encode(uninterrupted.state)
        #expect(String(decoding: checkpoint, as: UTF8.self).contains("\"second_moment\""))
        var global = expected
        try runStrategyRound(&uninterrupted, strategyRound2, on: &expected)

        var restarted = try FedAdam(tau: 1e-3)
        try restarted.restore(JSONDecoder().decode(StrategyState.self, from: checkpoint))
        #expect(restarted.rounds == 1)
        try runStrategyRound(&restarted, strategyRound2, on: &global)
        #expect(global == expected)
        #expect(restarted.state == uninterrupted.state)
    }

    @Test("state round-trips through JSON for every strategy after a round", arguments: StrategyKind.allCases)
    func stateRoundTrips(_ kind: StrategyKind) throws {
        var strategy = try StrategyConfiguration(kind, trimFraction: kind == .trimmedMean ? 0 : nil).makeStrategy()
        var global: [Float] = [0, 0]
        try strategy.apply(strategyAccumulator(for: strategy, strategyRound1), to: &global)
        let state = strategy.state
        #expect(state.strategy == kind.rawValue && state.rounds == 1)
        let decoded = try JSONDecoder().decode(StrategyState.self, from: JSONEncoder().encode(state))
        #expect(decoded == state)
        var fresh = try StrategyConfiguration(kind, trimFraction: kind == .trimmedMean ? 0 : nil).makeStrategy()
        try fresh.restore(decoded)
        #expect(fresh.state == state)
    }

    @Test("FedAvgM's velocity is checkpointed")
    func fedAvgMVelocity() throws {
        var strategy = try FedAvgM(serverLearningRate: 0.5)
        var global: [Float] = [0, 0]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        expectStrategyClose(strategy.state.velocity, [2.5, -1])
        var restarted = try FedAvgM(serverLearningRate: 0.5)
        try restarted.restore(strategy.state)
        try runStrategyRound(&restarted, strategyRound2, on: &global)
        expectStrategyClose(global, [2.425, -0.2])
    }

    @Test("state from another strategy is refused")
    func wrongStrategy() throws {
        var yogi = try FedYogi()
        let error = #expect(throws: StrategyError.self) {
            try yogi.restore(StrategyState(strategy: "fedadam", rounds: 3, firstMoment: [0], secondMoment: [1]))
        }
        #expect(error?.code == .stateMismatch)
        #expect(yogi.rounds == 0)
    }

    @Test("inconsistent or non-finite moments are refused")
    func inconsistentMoments() throws {
        var adam = try FedAdam()
        #expect(throws: StrategyError.self) {
            try adam.restore(StrategyState(strategy: "fedadam", rounds: 1, firstMoment: [0, 0]))
        }
        #expect(throws: StrategyError.self) {
            try adam.restore(StrategyState(strategy: "fedadam", rounds: 1, firstMoment: [0, 0], secondMoment: [1]))
        }
        #expect(throws: StrategyError.self) {
            try adam.restore(StrategyState(strategy: "fedadam", rounds: 1, firstMoment: [0], secondMoment: [-1]))
        }
        let error = #expect(throws: StrategyError.self) {
            try adam.restore(StrategyState(strategy: "fedadam", rounds: 1, firstMoment: [.nan], secondMoment: [1]))
        }
        #expect(error?.code == .nonFiniteValue)
        #expect(throws: StrategyError.self) { try adam.restore(StrategyState(strategy: "fedadam", rounds: -1)) }
    }

    @Test("moments restored for a model of another size make the next round fail, leaving the model unchanged")
    func restoredStateForAnotherModel() throws {
        var adam = try FedAdam()
        try adam.restore(StrategyState(strategy: "fedadam", rounds: 4, firstMoment: [0, 0, 0], secondMoment: [1, 1, 1]))
        var global: [Float] = [1, 2]
        let error = #expect(throws: StrategyError.self) { try runStrategyRound(&adam, strategyRound1, on: &global) }
        #expect(error?.code == .shapeMismatch)
        #expect(global == [1, 2])
        #expect(adam.rounds == 4)
    }
}
