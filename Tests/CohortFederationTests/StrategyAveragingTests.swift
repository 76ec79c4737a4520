import CohortFederation
import Testing

@Suite("FedAvg, FedProx, FedAvgM")
struct StrategyAveragingTests {
    @Test("FedAvg by records: x = [0.5, 0.5] + [2.5, −1] = [3, −0.5]")
    func fedAvgByRecords() throws {
        var strategy = try FedAvg()
        var global: [Float] = [0.5, 0.5]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        expectStrategyClose(global, [3, -0.5])
        #expect(strategy.rounds == 1)
        #expect(strategy.needsAllUpdates == false)
        #expect(strategy.proximalMu == 0)
    }

    @Test("FedAvg uniform: x = [0.5, 0.5] + [2, 0] = [2.5, 0.5]")
    func fedAvgUniform() throws {
        var strategy = try FedAvg(weighting: .uniform)
        var global: [Float] = [0.5, 0.5]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        expectStrategyClose(global, [2.5, 0.5])
    }

    @Test("FedAvg with η = 0.5: x = [0.5, 0.5] + 0.5·[2.5, −1] = [1.75, 0]")
    func fedAvgServerLearningRate() throws {
        var strategy = try FedAvg(serverLearningRate: 0.5)
        var global: [Float] = [0.5, 0.5]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        expectStrategyClose(global, [1.75, 0])
    }

    @Test("FedAvg with one site and η = 1 lands exactly on that site's model")
    func fedAvgOneSite() throws {
        var strategy = try FedAvg()
        var global: [Float] = [0.25, -4, 7]
        try runStrategyRound(&strategy, [([0.5, 1, -2], 17)], on: &global)
        #expect(global == [0.75, -3, 5])
    }

    @Test("FedProx's server step is FedAvg's, and it hands μ to the engine")
    func fedProxServerStepIsFedAvg() throws {
        var prox = try FedProx(proximalMu: 0.1)
        var avg = try FedAvg()
        var proxGlobal: [Float] = [0.5, 0.5]
        var avgGlobal = proxGlobal
        try runStrategyRound(&prox, strategyRound1, on: &proxGlobal)
        try runStrategyRound(&avg, strategyRound1, on: &avgGlobal)
        #expect(proxGlobal == avgGlobal)
        expectStrategyClose(proxGlobal, [3, -0.5])
        #expect(prox.proximalMu == 0.1)
        let erased: any FederatedStrategy = prox
        #expect(erased.proximalMu == 0.1)
        #expect(try FedProx().proximalMu == FedProx.defaultProximalMu)
        #expect(prox.name == "fedprox")
        #expect(prox.state.rounds == 1)
    }

    @Test("FedAvgM over two rounds with β = 0.9, η = 0.5")
    func fedAvgMTwoRounds() throws {
        // Round 1: Δ̄ = [2.5, −1]; v = 0.9·0 + Δ̄ = [2.5, −1]; x = 0 + 0.5·v = [1.25, −0.5].
        // Round 2: Δ̄ = [0.1, 1.5]; v = 0.9·[2.5, −1] + [0.1, 1.5] = [2.35, 0.6];
        //          x = [1.25, −0.5] + 0.5·[2.35, 0.6] = [2.425, −0.2].
        var strategy = try FedAvgM(serverLearningRate: 0.5, momentum: 0.9)
        var global: [Float] = [0, 0]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        expectStrategyClose(global, [1.25, -0.5])
        expectStrategyClose(strategy.velocity, [2.5, -1])
        try runStrategyRound(&strategy, strategyRound2, on: &global)
        expectStrategyClose(global, [2.425, -0.2])
        expectStrategyClose(strategy.velocity, [2.35, 0.6])
        #expect(strategy.rounds == 2)
    }

    @Test("FedAvgM with β = 0 is FedAvg")
    func fedAvgMWithoutMomentum() throws {
        var momentum = try FedAvgM(momentum: 0)
        var plain = try FedAvg()
        var a: [Float] = [0.5, 0.5]
        var b = a
        for updates in [strategyRound1, strategyRound2] {
            try runStrategyRound(&momentum, updates, on: &a)
            try runStrategyRound(&plain, updates, on: &b)
        }
        expectStrategyClose(a, b.map(Double.init))
    }

    @Test("an empty round is an error and changes nothing")
    func emptyRound() throws {
        var strategy = try FedAvgM()
        var global: [Float] = [1, 2]
        let empty = strategy.makeAccumulator(parameterCount: 2)
        let error = #expect(throws: StrategyError.self) { try strategy.apply(empty, to: &global) }
        #expect(error?.code == .noUpdates)
        #expect(global == [1, 2])
        #expect(strategy.rounds == 0)
        #expect(strategy.velocity == nil)
    }

    @Test("updates and global model of different lengths are an error")
    func globalShapeMismatch() throws {
        var strategy = try FedAvg()
        var global: [Float] = [1, 2, 3]
        let updates = try strategyAccumulator(for: strategy, strategyRound1)
        let error = #expect(throws: StrategyError.self) { try strategy.apply(updates, to: &global) }
        #expect(error?.code == .shapeMismatch)
        #expect(global == [1, 2, 3])
    }

    @Test("an accumulator weighted differently from the strategy is an error")
    func weightingMismatch() throws {
        var strategy = try FedAvg(weighting: .uniform)
        var updates = DeltaAccumulator(parameterCount: 2, keepAll: false, weighting: .byRecords)
        try updates.add([1, 2], records: 3)
        var global: [Float] = [0, 0]
        let error = #expect(throws: StrategyError.self) { try strategy.apply(updates, to: &global) }
        #expect(error?.code == .weightingMismatch)
    }

    @Test("out-of-range settings are rejected with the field's name")
    func invalidSettings() throws {
        let rate = #expect(throws: StrategyError.self) { try FedAvg(serverLearningRate: 0) }
        #expect(rate?.message == "strategy.server_learning_rate must be finite and > 0, got 0.0")
        let momentum = #expect(throws: StrategyError.self) { try FedAvgM(momentum: 1) }
        #expect(momentum?.message == "strategy.momentum must be in [0, 1), got 1.0")
        let mu = #expect(throws: StrategyError.self) { try FedProx(proximalMu: -0.1) }
        #expect(mu?.message == "strategy.proximal_mu must be finite and ≥ 0, got -0.1")
    }
}
