import CohortTensor
import Foundation
import Testing
@testable import CohortLearn

@Suite("Optimisers and schedules, hand-worked")
struct OptimizerTests {
    static func one(_ value: Float) -> NamedTensors { NamedTensors([("w", Tensor<Float>([value]))]) }

    @Test("SGD with momentum and Nesterov follow PyTorch's update rule")
    func sgd() {
        // θ₀ = 1, g = 0.5 each step, η = 0.1, μ = 0.9.
        var p = Self.one(1)
        var plain = OptimizerConfiguration.sgd().makeOptimizer(for: p)
        plain.update(&p, along: Self.one(0.5), learningRate: 0.1)
        #expect(abs(p["w"]!.scalars[0] - 0.95) < 1e-6)

        p = Self.one(1)
        var momentum = OptimizerConfiguration.sgd(momentum: 0.9).makeOptimizer(for: p)
        momentum.update(&p, along: Self.one(0.5), learningRate: 0.1)  // v = 0.5 → θ = 0.95
        momentum.update(&p, along: Self.one(0.5), learningRate: 0.1)  // v = 0.95 → θ = 0.855
        #expect(abs(p["w"]!.scalars[0] - 0.855) < 1e-6)

        p = Self.one(1)
        var nesterov = OptimizerConfiguration.sgd(momentum: 0.9, nesterov: true).makeOptimizer(for: p)
        nesterov.update(&p, along: Self.one(0.5), learningRate: 0.1)  // v = 0.5; θ -= 0.1(0.5 + 0.45) = 0.905
        #expect(abs(p["w"]!.scalars[0] - 0.905) < 1e-6)

        p = Self.one(2)
        var decay = OptimizerConfiguration.sgd(weightDecay: 0.1).makeOptimizer(for: p)
        decay.update(&p, along: Self.one(0), learningRate: 0.5)  // g = 0 + 0.1·2 → θ = 2 − 0.1 = 1.9
        #expect(abs(p["w"]!.scalars[0] - 1.9) < 1e-6)
    }

    @Test("Adam's first step moves by η·sign(g); AdamW decays decoupled from the gradient")
    func adam() {
        var p = Self.one(1)
        var adam = OptimizerConfiguration.adam().makeOptimizer(for: p)
        adam.update(&p, along: Self.one(0.3), learningRate: 0.01)
        // m̂ = 0.3, v̂ = 0.09 → step = 0.01·0.3/(0.3 + 1e-8)
        #expect(abs(p["w"]!.scalars[0] - (1 - 0.01)) < 1e-6)
        adam.update(&p, along: Self.one(-0.3), learningRate: 0.01)
        // m = 0.9·0.03 − 0.03 = −0.003, m̂ = −0.003/0.19; v̂ = 0.09 → step = 0.01·(−0.015789)/0.3
        let expected: Float = 0.99 + 0.01 * (0.003 / 0.19) / 0.3
        #expect(abs(p["w"]!.scalars[0] - expected) < 1e-5)

        p = Self.one(2)
        var adamW = OptimizerConfiguration.adamW(weightDecay: 0.1).makeOptimizer(for: p)
        adamW.update(&p, along: Self.one(0.3), learningRate: 0.01)
        // Adam step 0.01 plus decoupled decay 0.01·0.1·2 = 0.002.
        #expect(abs(p["w"]!.scalars[0] - (2 - 0.01 - 0.002)) < 1e-6)
    }

    @Test("cosine schedule starts at η₀, halves at the middle, ends at the minimum")
    func cosine() {
        let schedule = LearningRateSchedule.cosine(minimum: 0.01)
        #expect(abs(schedule.learningRate(base: 0.1, step: 0, totalSteps: 100) - 0.1) < 1e-7)
        #expect(abs(schedule.learningRate(base: 0.1, step: 50, totalSteps: 100) - 0.055) < 1e-7)
        #expect(abs(schedule.learningRate(base: 0.1, step: 100, totalSteps: 100) - 0.01) < 1e-7)
        #expect(LearningRateSchedule.constant.learningRate(base: 0.1, step: 70, totalSteps: 100) == 0.1)
    }
}
