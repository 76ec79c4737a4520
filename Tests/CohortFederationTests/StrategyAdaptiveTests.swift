import CohortFederation
import Testing

/// Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2, over the two rounds
/// of StrategyTestSupport (Δ̄₁ = [2.5, −1], Δ̄₂ = [0.1, 1.5]) from x₀ = [1, 2], m₋₁ = 0,
/// v₋₁ = τ². Expected values worked by hand below and checked with numpy in float64.
@Suite("FedAdam, FedYogi, FedAdagrad")
struct StrategyAdaptiveTests {
    @Test("FedAdam over two rounds (η = 0.1, β₁ = 0.9, β₂ = 0.99, τ = 1e-3)")
    func fedAdamTwoRounds() throws {
        // Round 1: m = 0.1·[2.5, −1] = [0.25, −0.1]
        //          v = 0.99·1e-6 + 0.01·[6.25, 1] = [0.06250099, 0.01000099]
        //          √v = [0.25000198, 0.10000495]
        //          x = [1 + 0.1·0.25/0.25100198, 2 − 0.1·0.1/0.10100495] = [1.09960081, 1.90099495]
        // Round 2: m = 0.9·[0.25, −0.1] + 0.1·[0.1, 1.5] = [0.235, 0.06]
        //          v = 0.99·v + 0.01·[0.01, 2.25] = [0.06197598, 0.03240098]
        //          x = x + 0.1·m/(√v + 1e-3) = [1.19361970, 1.93414362]
        var strategy = try FedAdam(serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3)
        var global: [Float] = [1, 2]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        expectStrategyClose(global, [1.0996008079329929, 1.9009949511174575], tolerance: 1e-5)
        expectStrategyClose(strategy.firstMoment, [0.25, -0.1])
        expectStrategyClose(strategy.secondMoment, [0.06250099, 0.01000099], tolerance: 1e-8)
        try runStrategyRound(&strategy, strategyRound2, on: &global)
        expectStrategyClose(global, [1.1936197041638845, 1.9341436237882925], tolerance: 1e-5)
        expectStrategyClose(strategy.firstMoment, [0.235, 0.06])
        expectStrategyClose(strategy.secondMoment, [0.0619759801, 0.0324009801], tolerance: 1e-8)
        #expect(strategy.rounds == 2)
    }

    @Test("FedYogi over two rounds (η = 0.1, β₁ = 0.9, β₂ = 0.99, τ = 1e-3): v shrinks additively where Δ² < v")
    func fedYogiTwoRounds() throws {
        // Round 1: Δ² = [6.25, 1] > v₋₁ = 1e-6, so sign(v − Δ²) = −1:
        //          v = 1e-6 + 0.01·[6.25, 1] = [0.062501, 0.010001]; m = [0.25, −0.1]
        //          x = [1 + 0.1·0.25/(0.2500020 + 1e-3), 2 − 0.1·0.1/(0.1000050 + 1e-3)] = [1.09960080, 1.90099500]
        // Round 2: Δ² = [0.01, 2.25]. Coordinate 0: v = 0.062501 > 0.01, sign +1,
        //          v = 0.062501 − 0.01·0.01 = 0.062401 (Adam would give 0.06197598).
        //          Coordinate 1: v = 0.010001 < 2.25, sign −1, v = 0.010001 + 0.0225 = 0.032501.
        //          m = [0.235, 0.06]; x = x + 0.1·m/(√v + 1e-3) = [1.19330024, 1.93409291]
        var strategy = try FedYogi(serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3)
        var global: [Float] = [1, 2]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        expectStrategyClose(global, [1.0996007999968, 1.9009950001249938], tolerance: 1e-5)
        expectStrategyClose(strategy.secondMoment, [0.062501, 0.010001], tolerance: 1e-8)
        try runStrategyRound(&strategy, strategyRound2, on: &global)
        expectStrategyClose(global, [1.1933002415985825, 1.9340929085409038], tolerance: 1e-5)
        expectStrategyClose(strategy.secondMoment, [0.062401, 0.032501], tolerance: 1e-8)
    }

    @Test("FedAdagrad over two rounds (η = 0.1, β₁ = 0.5, τ = 1e-3): v accumulates Δ²")
    func fedAdagradTwoRounds() throws {
        // Round 1: m = 0.5·[2.5, −1] = [1.25, −0.5]; v = 1e-6 + [6.25, 1] = [6.250001, 1.000001]
        //          x = [1 + 0.1·1.25/(2.5000002 + 1e-3), 2 − 0.1·0.5/(1.0000005 + 1e-3)] = [1.04998000, 1.95004998]
        // Round 2: m = 0.5·[1.25, −0.5] + 0.5·[0.1, 1.5] = [0.675, 0.5]
        //          v = [6.250001 + 0.01, 1.000001 + 2.25] = [6.260001, 3.250001]
        //          x = x + 0.1·m/(√v + 1e-3) = [1.07694765, 1.97776960]
        var strategy = try FedAdagrad(serverLearningRate: 0.1, beta1: 0.5, tau: 1e-3)
        var global: [Float] = [1, 2]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        expectStrategyClose(global, [1.0499800039999998, 1.9500499750000062], tolerance: 1e-5)
        expectStrategyClose(strategy.firstMoment, [1.25, -0.5])
        try runStrategyRound(&strategy, strategyRound2, on: &global)
        expectStrategyClose(global, [1.0769476492927106, 1.9777696044628073], tolerance: 1e-5)
        expectStrategyClose(strategy.firstMoment, [0.675, 0.5])
        expectStrategyClose(strategy.secondMoment, [6.260001, 3.250001], tolerance: 1e-6)
    }

    @Test("the second moment starts at τ², as Algorithm 2's v₋₁ ≥ τ²")
    func secondMomentStartsAtTauSquared() throws {
        // A zero delta leaves v₋₁ untouched by Adagrad: v₀ = τ² + 0 = 0.01 for τ = 0.1, and
        // m₀ = 0 so x does not move.
        var strategy = try FedAdagrad(tau: 0.1)
        var global: [Float] = [3]
        try runStrategyRound(&strategy, [([0], 5)], on: &global)
        expectStrategyClose(strategy.secondMoment, [0.01], tolerance: 1e-9)
        #expect(global == [3])
    }

    @Test("defaults follow Flower: FedAdam/FedAdagrad η = 0.1, τ = 1e-9; FedYogi η = 0.01, τ = 1e-3")
    func defaults() throws {
        let adam = try FedAdam()
        #expect(adam.serverLearningRate == 0.1 && adam.beta1 == 0.9 && adam.beta2 == 0.99 && adam.tau == 1e-9)
        let yogi = try FedYogi()
        #expect(yogi.serverLearningRate == 0.01 && yogi.beta1 == 0.9 && yogi.beta2 == 0.99 && yogi.tau == 1e-3)
        let adagrad = try FedAdagrad()
        #expect(adagrad.serverLearningRate == 0.1 && adagrad.beta1 == 0 && adagrad.tau == 1e-9)
        #expect(adam.weighting == .byRecords && yogi.weighting == .byRecords && adagrad.weighting == .byRecords)
    }

    @Test("uniform weighting feeds the uniform mean [2, 0] to FedAdam")
    func adaptiveUniformWeighting() throws {
        // m = 0.1·[2, 0] = [0.2, 0]; v = 0.99·1e-6 + 0.01·[4, 0] = [0.04000099, 9.9e-7]
        // x = [0 + 0.1·0.2/(0.2000025 + 1e-3), 0] = [0.02/0.2010025, 0] = [0.09950126, 0]
        var strategy = try FedAdam(tau: 1e-3, weighting: .uniform)
        var global: [Float] = [0, 0]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        expectStrategyClose(global, [0.0995012624, 0], tolerance: 1e-6)
    }

    @Test("invalid decay rates and τ are rejected with the field's name")
    func invalidSettings() {
        let beta2 = #expect(throws: StrategyError.self) { try FedAdam(beta2: 1) }
        #expect(beta2?.message == "strategy.beta2 must be in [0, 1), got 1.0")
        let beta1 = #expect(throws: StrategyError.self) { try FedYogi(beta1: -0.1) }
        #expect(beta1?.message == "strategy.beta1 must be in [0, 1), got -0.1")
        let tau = #expect(throws: StrategyError.self) { try FedAdagrad(tau: 0) }
        #expect(tau?.message == "strategy.tau must be finite and > 0, got 0.0")
        #expect(throws: StrategyError.self) { try FedAdam(serverLearningRate: .nan) }
    }
}
