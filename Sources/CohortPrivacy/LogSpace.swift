import Foundation

/// Arithmetic on numbers held as their natural logarithms, so that the huge and tiny
/// quantities of the RDP computations (A_α reaches e^(10⁵) at α = 1024) neither overflow
/// nor underflow. Zero is `-infinity`.
enum LogSpace {
    /// log(eˣ + eʸ), computed as max + log1p(e^(−|x − y|)).
    static func add(_ x: Double, _ y: Double) -> Double {
        let high = max(x, y)
        let low = min(x, y)
        if low == -.infinity { return high }
        if high == .infinity { return .infinity }
        return high + log1p(exp(low - high))
    }

    /// log Σ e^(xᵢ), by shifting by the largest term (the log-sum-exp trick).
    static func sum(_ terms: [Double]) -> Double {
        guard let largest = terms.max(), largest.isFinite else {
            // Empty (zero), all −∞ (zero), or some +∞ / NaN: propagate.
            return terms.max() ?? -.infinity
        }
        var total = 0.0
        for term in terms { total += exp(term - largest) }
        return largest + log(total)
    }

    /// log(1 + eˣ), the softplus: exact for large x (where 1 + eˣ would round to eˣ or
    /// overflow) and for very negative x (where log(1 + eˣ) ≈ eˣ).
    static func onePlusExp(_ x: Double) -> Double {
        x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
    }

    /// log(eˣ − 1) for x > 0, without overflow for large x or cancellation for small x.
    static func expMinusOne(_ x: Double) -> Double {
        precondition(x > 0, "log(eˣ − 1) needs x > 0, got \(x)")
        return x > 30 ? x + log1p(-exp(-x)) : log(expm1(x))
    }

    /// log of the generalised binomial coefficient C(n, k) = Γ(n + 1) / (Γ(k + 1) Γ(n − k + 1))
    /// for 0 ≤ k ≤ n; with integer n this is the usual binomial coefficient.
    static func binomial(_ n: Double, _ k: Double) -> Double {
        lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
    }
}
