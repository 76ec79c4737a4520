/// What one privacy guarantee protects: the neighbouring relation's "one", added or
/// removed (ARCHITECTURE.md, "Privacy model").
///
/// - `record`: one patient record at one site. Noise is added inside local training
///   (DP-SGD), each site keeps its own ledger with q = batch / records and steps = every
///   local step it ran for the run. The default for hospitals.
/// - `site`: one site's whole contribution (DP-FedAvg, McMahan, Ramage, Talwar, Zhang,
///   "Learning Differentially Private Recurrent Language Models", ICLR 2018). Deltas are
///   clipped and noised per round; the orchestrator's ledger has q = sampled sites / all
///   sites and steps = rounds.
///
/// A report must say which one holds; `describe(_:site:)` writes the line.
public enum PrivacyUnit: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// One patient record at one site (DP-SGD inside local training).
    case record
    /// One site's whole contribution (DP-FedAvg).
    case site

    /// What is protected, as a phrase: "per patient record" or "per site (DP-FedAvg)".
    public var description: String {
        switch self {
        case .record: "per patient record"
        case .site: "per site (DP-FedAvg)"
        }
    }

    /// One line saying exactly what a guarantee covers, for reports and logs:
    ///
    ///     ε = 2.31, δ = 1e-5, per patient record at site hospital-a
    ///     ε = 1.20, δ = 1e-6, per site (DP-FedAvg)
    ///
    /// `site` names the site whose records a `.record` guarantee is about (each site
    /// accounts for its own records); it is ignored for `.site`.
    public func describe(_ guarantee: PrivacyGuarantee, site: String? = nil) -> String {
        switch self {
        case .record:
            if let site { return "\(guarantee), \(description) at site \(site)" }
            return "\(guarantee), \(description)"
        case .site:
            return "\(guarantee), \(description)"
        }
    }
}
