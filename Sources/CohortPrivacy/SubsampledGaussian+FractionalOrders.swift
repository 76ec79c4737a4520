import Foundation

extension SubsampledGaussian {
    /// Per-step RDP at a fractional order α > 1, for 0 < q < 1, from the defining integral
    /// of Mironov, Talwar, Zhang 2019 (arXiv:1908.10530), Section 3 (Theorem 4):
    ///
    ///     A_α = ∫ μ₀(z) (μ(z)/μ₀(z))^α dz,   μ(z)/μ₀(z) = 1 − q + q·exp((2z − 1)/(2σ²)),
    ///
    /// computed by adaptive Gauss–Kronrod quadrature (`GaussKronrod`) after the change of
    /// variable z = σu, so the weight is the standard normal density φ(u):
    ///
    ///     A_α = ∫ φ(u) h(u)^α du,   h(u) = 1 + q·expm1(t),   t = u/σ − 1/(2σ²).
    ///
    /// This is exact up to the quadrature tolerance (1e-12 relative), unlike the series of
    /// Section 3.3 as `dp-accounting` sums it, with |C(α, k)|, which bounds A_α from above.
    ///
    /// Two forms of the integrand, each without cancellation or overflow where it is used:
    /// - **log form**, for log A_α ≥ 1: exp(log φ(u) + α·log h(u) − M), the shift M being
    ///   the largest log-integrand on a scan, log h by log-sum-exp of log(1 − q) and
    ///   log q + t. Then log A_α = M + log ∫.
    /// - **excess form**, for log A_α < 1, where A_α − 1 is what matters and may be 1e-10:
    ///   since ∫ φ(u)(h(u) − 1) du = q·(E[e^t] − 1) = 0,
    ///
    ///       A_α − 1 = ∫ φ(u) F(x(u)) du,   F(x) = (1 + x)^α − 1 − αx,   x = h − 1,
    ///
    ///   and F ≥ 0 (a convex function minus its tangent at 0), so the integrand is
    ///   non-negative and the quadrature's relative tolerance applies to A_α − 1 itself.
    ///   F is summed as its binomial series Σ_{k≥2} C(α, k) x^k where x is small.
    ///
    /// Domain: the integrand is at most φ(u) where h ≤ 1 (u ≤ 1/(2σ)), and to the right its
    /// mass is a Gaussian bump around u = α/σ (the q·e^t term to the power α) or, in the
    /// excess form, around u = 2/σ (the x² term); u ∈ [−16, max(α, 2)/σ + 16] loses less
    /// than 1e-50 relative. The log form is then trimmed to where the log-integrand is
    /// within 75 of its maximum on a scan of step s = 0.5 — safe because log φ(u) + u²/2 +
    /// α·log h(u) is convex (log h is a log-sum-exp of affine functions of u), so between
    /// scan points the log-integrand exceeds the larger end value by at most s²/8.
    func fractionalOrderRDP(_ alpha: Double) -> Double {
        let q = samplingRate
        let sigma = noiseMultiplier
        let logQ = log(q)
        let logOneMinusQ = log1p(-q)
        let shiftT = 1 / (2 * sigma * sigma)
        let logNormalizer = -0.5 * log(2 * Double.pi)
        let logWeight = { (u: Double) -> Double in -0.5 * u * u + logNormalizer }
        let logH = { (u: Double) -> Double in LogSpace.add(logOneMinusQ, logQ + u / sigma - shiftT) }
        let logIntegrand = { (u: Double) -> Double in logWeight(u) + alpha * logH(u) }

        let lower = -16.0
        let upper = max(alpha, 2) / sigma + 16
        let quadrature = GaussKronrod()

        // Log form, on the trimmed domain. The scan step is 0.5 unless that would take more
        // than 200,000 points (α/σ beyond 10⁵); the threshold allows for the step's h²/8.
        let scanCount = min(Int(((upper - lower) / 0.5).rounded(.up)), 200_000)
        let scanStep = (upper - lower) / Double(scanCount)
        var scan = [Double](repeating: 0, count: scanCount + 1)
        for index in 0...scanCount { scan[index] = logIntegrand(lower + Double(index) * scanStep) }
        guard let peak = scan.max(), peak.isFinite else { return .infinity }
        let threshold = peak - 75 - scanStep * scanStep / 8
        let first = scan.firstIndex { $0 >= threshold } ?? 0
        let last = scan.lastIndex { $0 >= threshold } ?? scanCount
        let trimmedLower = max(lower, lower + Double(first - 1) * scanStep)
        let trimmedUpper = min(upper, lower + Double(last + 1) * scanStep)
        let shifted = quadrature.integrate(
            from: trimmedLower, to: trimmedUpper,
            panels: Int((trimmedUpper - trimmedLower).rounded(.up))
        ) { u in exp(logIntegrand(u) - peak) }
        let logA = peak + log(shifted.value)
        guard logA.isFinite else { return .infinity }
        if logA >= 1 { return logA / (alpha - 1) }

        // Excess form, on the full domain.
        let excess = quadrature.integrate(
            from: lower, to: upper, panels: Int((upper - lower).rounded(.up))
        ) { u in
            Self.weightedExcess(
                alpha: alpha, q: q, logQ: logQ, t: u / sigma - shiftT,
                logWeight: logWeight(u), logH: logH(u))
        }
        return log1p(max(0, excess.value)) / (alpha - 1)
    }

    /// φ(u)·F(x) with F(x) = (1 + x)^α − 1 − αx ≥ 0 and x = q·expm1(t), evaluated without
    /// overflow (x may be e^700) and without cancellation (x may be 1e-12).
    private static func weightedExcess(
        alpha: Double, q: Double, logQ: Double, t: Double,
        logWeight: Double, logH: Double
    ) -> Double {
        let x = q * expm1(t)
        if abs(x) <= 0.5 && alpha * abs(x) <= 2 {
            // Binomial series (Newton's generalised binomial theorem, |x| < 1):
            // F(x) = Σ_{k≥2} C(α, k) x^k, term_{k+1} = term_k · (α − k)/(k + 1) · x.
            var term = 0.5 * alpha * (alpha - 1) * x * x
            var sum = 0.0
            var k = 2.0
            while k < 400 {
                sum += term
                if abs(term) <= 1e-17 * abs(sum) { break }
                term *= (alpha - k) / (k + 1) * x
                k += 1
            }
            return exp(logWeight) * sum
        }
        if x > 0 {
            // Both parts in logs: (1 + x)^α φ = exp(log φ + α log h), and
            // (1 + αx) φ = exp(log φ + log(1 + e^(log α + log x))), log x = log q + log(eᵗ − 1).
            let logX = logQ + LogSpace.expMinusOne(t)
            let logLinear = LogSpace.onePlusExp(log(alpha) + logX)
            return max(0, exp(logWeight + alpha * logH) - exp(logWeight + logLinear))
        }
        // x < 0 beyond the series' range (x < −0.5, or α|x| > 2): F is not small against its
        // terms (at worst two digits cancel, for α near 1 and x near −0.5).
        return max(0, exp(logWeight) * (pow(1 + x, alpha) - 1 - alpha * x))
    }
}
