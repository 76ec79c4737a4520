/// Adaptive Gauss–Kronrod quadrature of a smooth function over a finite interval, the
/// scheme of QUADPACK's QAG routine (Piessens, de Doncker-Kapenga, Überhuber, Kahaner,
/// "QUADPACK: A Subroutine Package for Automatic Integration", Springer 1983, §2.2 and
/// routine DQK21).
///
/// Each panel is integrated with the 21-point Kronrod rule; the 10-point Gauss rule on
/// the same nodes (its nodes are every other Kronrod node; Kronrod, "Nodes and Weights
/// of Quadrature Formulas", 1965) gives the error estimate |K₂₁ − G₁₀|, which for smooth
/// integrands is very pessimistic (the Kronrod result is usually several orders more
/// accurate). The panel with the largest estimate is bisected until the estimates add up
/// to at most the requested relative tolerance, or every remaining panel is at the level
/// of rounding error, or the bisection budget is spent.
///
/// Used only with non-negative integrands here, for which a relative tolerance on the
/// total is meaningful.
struct GaussKronrod {
    /// Positive Kronrod abscissae on [−1, 1], the last one 0; the odd positions (1, 3, …, 9)
    /// are the 10-point Gauss nodes. Values of QUADPACK DQK21 (Fullerton, Bell Labs 1981).
    private static let nodes: [Double] = [
        0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
        0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
        0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
        0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
        0.294392862701460198131126603103866, 0.148874338981631210884826001129720,
        0.0,
    ]
    /// Kronrod weights, matching `nodes`.
    private static let kronrodWeights: [Double] = [
        0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
        0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
        0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
        0.123491976262065851077958109831074, 0.134709217311473325928054001771707,
        0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
        0.149445554002916905664936468389821,
    ]
    /// Gauss weights for the nodes at positions 1, 3, 5, 7, 9.
    private static let gaussWeights: [Double] = [
        0.066671344308688137593568809893332, 0.149451349150580593145776339657697,
        0.219086362515982043995534934228163, 0.269266719309996355091226921569469,
        0.295524224714752870173892994651338,
    ]

    /// The result of one integration.
    struct Result {
        /// The estimate of the integral.
        var value: Double
        /// The sum of the panels' |K₂₁ − G₁₀| estimates (an upper bound in practice).
        var errorEstimate: Double
        /// Number of integrand evaluations.
        var evaluations: Int
    }

    /// Relative tolerance on the total.
    var relativeTolerance = 1e-12
    /// Most initial panels (more requested are widened to fit).
    var maximumInitialPanels = 4000
    /// Most bisections before returning the best estimate so far.
    var maximumBisections = 2000

    private struct Panel {
        var lower: Double
        var upper: Double
        var value: Double
        var error: Double
        var atRoundingLevel: Bool
    }

    /// ∫ f over [lower, upper], starting from `panels` equal panels (give at least one
    /// panel per feature width of the integrand, so that no narrow peak hides between
    /// the first nodes).
    func integrate(
        from lower: Double, to upper: Double, panels initialPanels: Int,
        _ f: (Double) -> Double
    ) -> Result {
        precondition(lower < upper && lower.isFinite && upper.isFinite, "bad interval [\(lower), \(upper)]")
        let count = max(1, min(initialPanels, maximumInitialPanels))
        let width = (upper - lower) / Double(count)
        var panels: [Panel] = []
        panels.reserveCapacity(count * 2)
        for index in 0..<count {
            let a = lower + Double(index) * width
            let b = index == count - 1 ? upper : a + width
            panels.append(Self.panel(a, b, f))
        }
        var evaluations = 21 * count
        for _ in 0..<maximumBisections {
            var total = 0.0
            var error = 0.0
            var worst = -1
            for (index, panel) in panels.enumerated() {
                total += panel.value
                error += panel.error
                if !panel.atRoundingLevel && (worst < 0 || panel.error > panels[worst].error) {
                    worst = index
                }
            }
            if worst < 0 || error <= relativeTolerance * abs(total) { break }
            let split = panels[worst]
            let middle = 0.5 * (split.lower + split.upper)
            panels[worst] = Self.panel(split.lower, middle, f)
            panels.append(Self.panel(middle, split.upper, f))
            evaluations += 42
        }
        let value = panels.reduce(0.0) { $0 + $1.value }
        let error = panels.reduce(0.0) { $0 + $1.error }
        return Result(value: value, errorEstimate: error, evaluations: evaluations)
    }

    /// One 21-point Kronrod panel with its Gauss comparison.
    private static func panel(_ a: Double, _ b: Double, _ f: (Double) -> Double) -> Panel {
        let center = 0.5 * (a + b)
        let half = 0.5 * (b - a)
        let fCenter = f(center)
        var kronrod = kronrodWeights[10] * fCenter
        var gauss = 0.0
        var absolute = abs(kronrod)
        for j in 0..<10 {
            let offset = half * nodes[j]
            let pair = f(center - offset) + f(center + offset)
            kronrod += kronrodWeights[j] * pair
            absolute += kronrodWeights[j] * abs(pair)
            if j % 2 == 1 { gauss += gaussWeights[j / 2] * pair }
        }
        let error = abs((kronrod - gauss) * half)
        // Below ~50 ulps of the panel's own magnitude the estimate is rounding noise and
        // bisecting cannot improve it (QUADPACK's DQK21 uses the same 50·ε floor).
        let roundingLevel = 50 * Double.ulpOfOne * absolute * half
        return Panel(
            lower: a, upper: b, value: kronrod * half, error: error,
            atRoundingLevel: error <= roundingLevel || !error.isFinite
        )
    }
}
