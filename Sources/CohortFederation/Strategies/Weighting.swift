/// How much each site's delta counts in the round's mean Δ̄ = Σ wᵢΔᵢ / Σ wᵢ.
///
/// - `byRecords`: wᵢ = nᵢ, the site's example count, as in FedAvg (McMahan, Moore, Ramage,
///   Hampson, Agüera y Arcas, "Communication-Efficient Learning of Deep Networks from
///   Decentralized Data", AISTATS 2017, Algorithm 1: w ← Σₖ (nₖ/n) wₖ). The count is
///   released to the orchestrator: it is not covered by ε.
/// - `uniform`: wᵢ = 1, for when sites keep their counts private, or under site-level DP
///   (DP-FedAvg) where a site's weight must not depend on its data.
///
/// Coded as `"records"` or `"uniform"` (the plan's `strategy.weighting`).
public enum Weighting: String, Codable, Sendable, Hashable, CaseIterable {
    /// wᵢ = the site's record count.
    case byRecords = "records"
    /// wᵢ = 1 for every site.
    case uniform = "uniform"

    /// The weight of a delta from a site with `records` examples.
    ///
    /// - Throws: `invalidRecordCount` when `records` is negative, or zero under `byRecords`
    ///   (a site with no records has nothing to contribute and would divide by zero).
    public func weight(records: Int) throws(StrategyError) -> Double {
        guard records >= 0 else {
            throw StrategyError(.invalidRecordCount, "record count must be ≥ 0, got \(records)")
        }
        switch self {
        case .uniform:
            return 1
        case .byRecords:
            guard records > 0 else {
                throw StrategyError(
                    .invalidRecordCount, "record count must be > 0 when weighting by records, got 0")
            }
            return Double(records)
        }
    }
}
