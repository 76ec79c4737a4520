/// The server update shared by FedAdagrad, FedAdam and FedYogi, which differ only in how the
/// second moment v is updated.
///
/// Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
/// Optimization", ICLR 2021, Algorithm 2. With Δₜ the round's (weighted) mean delta:
///
///     mₜ = β₁·mₜ₋₁ + (1 − β₁)·Δₜ
///     vₜ = rule(vₜ₋₁, Δₜ²)              (element-wise; see `SecondMomentRule`)
///     xₜ₊₁ = xₜ + η·mₜ / (√vₜ + τ)
///
/// with m₋₁ = 0 and v₋₁ = τ² (the algorithm's input v₋₁ ≥ τ²; Flower starts from 0, which
/// differs from this only by τ² ≈ 1e-18 at its default τ). There is no bias correction, as
/// in the paper. Arithmetic is in `Double`; m and v are stored as `Float`.
struct AdaptiveServerOptimizer: Sendable, Hashable {
    /// How vₜ follows from vₜ₋₁ and Δₜ² (Algorithm 2's three variants).
    enum SecondMomentRule: Sendable, Hashable {
        /// vₜ = vₜ₋₁ + Δₜ²
        case adagrad
        /// vₜ = β₂·vₜ₋₁ + (1 − β₂)·Δₜ²
        case adam(beta2: Double)
        /// vₜ = vₜ₋₁ − (1 − β₂)·Δₜ²·sign(vₜ₋₁ − Δₜ²)
        case yogi(beta2: Double)
    }

    let serverLearningRate: Double
    let beta1: Double
    let tau: Double
    let rule: SecondMomentRule
    private(set) var rounds = 0
    private(set) var firstMoment: [Float]?
    private(set) var secondMoment: [Float]?

    init(serverLearningRate: Double, beta1: Double, tau: Double, rule: SecondMomentRule) throws(StrategyError) {
        try SettingCheck.positive(serverLearningRate, .serverLearningRate)
        try SettingCheck.inHalfOpenRange(beta1, below: 1, .beta1)
        try SettingCheck.positive(tau, .tau)
        switch rule {
        case .adagrad:
            break
        case .adam(let beta2), .yogi(let beta2):
            try SettingCheck.inHalfOpenRange(beta2, below: 1, .beta2)
        }
        self.serverLearningRate = serverLearningRate
        self.beta1 = beta1
        self.tau = tau
        self.rule = rule
    }

    func state(name: String) -> StrategyState {
        StrategyState(strategy: name, rounds: rounds, firstMoment: firstMoment, secondMoment: secondMoment)
    }

    mutating func restore(_ state: StrategyState, name: String) throws(StrategyError) {
        let rounds = try state.rounds(restoringInto: name)
        guard (state.firstMoment == nil) == (state.secondMoment == nil) else {
            throw StrategyError(.stateMismatch, "\(name) state: first_moment and second_moment must be saved together")
        }
        try StrategyState.check(state.firstMoment, "first_moment", of: name)
        try StrategyState.check(
            state.secondMoment, "second_moment", of: name, count: state.firstMoment?.count, nonNegative: true)
        self.rounds = rounds
        self.firstMoment = state.firstMoment
        self.secondMoment = state.secondMoment
    }

    /// One step of Algorithm 2. The caller has run `checkRound`.
    mutating func apply(_ updates: DeltaAccumulator, to global: inout [Float], name: String) throws(StrategyError) {
        let n = global.count
        try StrategyState.check(firstMoment, "first_moment", of: name, count: n)
        try StrategyState.check(secondMoment, "second_moment", of: name, count: n, nonNegative: true)
        var m = firstMoment ?? Array(repeating: 0, count: n)
        var v = secondMoment ?? Array(repeating: Float(tau * tau), count: n)
        // m and v are now the only references, so they are updated in place, not copied.
        firstMoment = nil
        secondMoment = nil
        switch rule {
        case .adagrad:
            step(updates, &m, &v, &global) { v, squared in v + squared }
        case .adam(let beta2):
            step(updates, &m, &v, &global) { v, squared in beta2 * v + (1 - beta2) * squared }
        case .yogi(let beta2):
            step(updates, &m, &v, &global) { v, squared in
                let difference = v - squared
                let sign: Double = difference > 0 ? 1 : (difference < 0 ? -1 : 0)
                return v - (1 - beta2) * squared * sign
            }
        }
        firstMoment = m
        secondMoment = v
        rounds += 1
    }

    @inline(__always)
    private func step(
        _ updates: DeltaAccumulator, _ m: inout [Float], _ v: inout [Float], _ global: inout [Float],
        secondMoment rule: (_ previous: Double, _ squaredDelta: Double) -> Double
    ) {
        let (eta, beta1, tau) = (serverLearningRate, beta1, tau)
        updates.withWeightedSum { sum, scale in
            m.withUnsafeMutableBufferPointer { m in
                v.withUnsafeMutableBufferPointer { v in
                    global.withUnsafeMutableBufferPointer { x in
                        for i in 0..<x.count {
                            let delta = sum[i] * scale
                            let first = beta1 * Double(m[i]) + (1 - beta1) * delta
                            let second = max(0, rule(Double(v[i]), delta * delta))
                            m[i] = Float(first)
                            v[i] = Float(second)
                            x[i] = Float(Double(x[i]) + eta * first / (second.squareRoot() + tau))
                        }
                    }
                }
            }
        }
    }
}
