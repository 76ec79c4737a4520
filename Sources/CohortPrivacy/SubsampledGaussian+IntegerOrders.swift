import Foundation

extension SubsampledGaussian {
    /// Per-step RDP at an integer order α ≥ 2, for 0 < q < 1, by the exact finite sum of
    /// Mironov, Talwar, Zhang 2019 (arXiv:1908.10530), Section 3.3, integer α:
    ///
    ///     A_α = Σ_{k=0}^{α} C(α, k) (1 − q)^(α−k) q^k exp((k² − k)/(2σ²)),
    ///     ε(α) = log(A_α) / (α − 1).
    ///
    /// The k = 0 and k = 1 terms have exponent 0, and Σ_k C(α, k)(1 − q)^(α−k) q^k = 1
    /// (the binomial theorem), so
    ///
    ///     A_α − 1 = Σ_{k=2}^{α} C(α, k) (1 − q)^(α−k) q^k (exp((k² − k)/(2σ²)) − 1),
    ///
    /// a sum of non-negative terms. Summing that in log space (log-sum-exp) and taking
    /// log A_α = log(1 + (A_α − 1)) keeps full relative precision both when A_α − 1 is tiny
    /// (small q: the plain sum would lose it to cancellation against the leading 1) and when
    /// A_α is astronomically large (α = 1024 with small σ: it would overflow).
    func integerOrderRDP(_ alpha: Int) -> Double {
        precondition(alpha >= 2, "integer RDP order must be ≥ 2, got \(alpha)")
        let q = samplingRate
        let sigma = noiseMultiplier
        let a = Double(alpha)
        let logQ = log(q)
        let logOneMinusQ = log1p(-q)
        let twoSigmaSquared = 2 * sigma * sigma
        var terms: [Double] = []
        terms.reserveCapacity(alpha - 1)
        for k in 2...alpha {
            let kk = Double(k)
            let exponent = (kk * kk - kk) / twoSigmaSquared
            terms.append(
                LogSpace.binomial(a, kk) + (a - kk) * logOneMinusQ + kk * logQ
                    + LogSpace.expMinusOne(exponent))
        }
        let logAMinusOne = LogSpace.sum(terms)
        return LogSpace.onePlusExp(logAMinusOne) / (a - 1)
    }
}
