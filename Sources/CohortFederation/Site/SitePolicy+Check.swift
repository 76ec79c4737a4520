import Foundation

extension SitePolicy {
    /// Decides whether the site takes part in a run: `.accept`, or `.refuse` with every
    /// rule the run breaks (not only the first), each in words the researcher will read:
    ///
    /// - the plan's hash is listed, when `plans.mode` is `listed_hashes_only`;
    /// - the model and the strategy are accepted;
    /// - the run has differential privacy, in an accepted unit;
    /// - σ, and σ_pre of noised preprocessing statistics, ≥ `privacy.minimum_noise_multiplier`;
    /// - the run's ε alone (`TaskRequest.epsilon(delta:)`, the noised preprocessing release
    ///   included) ≤ `privacy.maximum_epsilon_per_run`;
    /// - the ledger's ε after the run (`TaskRequest.lifetimeEpsilon(delta:)`, composed in
    ///   RDP) ≤ `privacy.lifetime_epsilon`;
    /// - the noise is secure, unless `accept.seeded_noise` allows seeded noise;
    /// - the training records ≥ `minimum_records`.
    ///
    /// ε is measured at the policy's `privacy.delta`, whatever δ the plan reports at.
    public func check(_ request: TaskRequest) -> PolicyDecision {
        var reasons: [String] = []
        if plans.mode == .listedHashesOnly && !plans.hashes.contains(request.planHash.lowercased()) {
            reasons.append("plan hash \(request.planHash.prefix(12))… is not in this site's list")
        }
        if !accept.models.contains(request.model) {
            reasons.append("model '\(request.model)' is not accepted (accepted: \(accept.models))")
        }
        if !accept.strategies.contains(request.strategy) {
            reasons.append("strategy '\(request.strategy)' is not accepted (accepted: \(accept.strategies))")
        }
        let acceptedUnits = accept.units.map(\.rawValue).joined(separator: ", ")
        if let unit = request.privacy.unit, let sigma = request.privacy.noiseMultiplier {
            if !accept.units.contains(unit) {
                reasons.append("privacy unit '\(unit.rawValue)' is not accepted (accepted: \(acceptedUnits))")
            }
            if !(sigma >= privacy.minimumNoiseMultiplier) {
                reasons.append(
                    "noise multiplier \(Self.number(sigma)) is below this site's minimum \(Self.number(privacy.minimumNoiseMultiplier))")
            }
            if let sigma = request.preprocessingNoiseMultiplier, !(sigma >= privacy.minimumNoiseMultiplier) {
                reasons.append(
                    "preprocessing noise multiplier \(Self.number(sigma)) is below this site's minimum "
                        + "\(Self.number(privacy.minimumNoiseMultiplier))")
            }
            let delta = Self.number(privacy.delta)
            let runEpsilon = request.epsilon(delta: privacy.delta)
            if !(runEpsilon <= privacy.maximumEpsilonPerRun) {
                reasons.append(
                    "this run would cost ε = \(Self.number(runEpsilon, above: privacy.maximumEpsilonPerRun)) (δ = \(delta)) "
                        + "> the site's maximum \(Self.number(privacy.maximumEpsilonPerRun)) per run")
            }
            let lifetime = request.lifetimeEpsilon(delta: privacy.delta)
            if !(lifetime <= privacy.lifetimeEpsilon) {
                reasons.append(
                    "lifetime budget: ε would reach \(Self.number(lifetime, above: privacy.lifetimeEpsilon)) "
                        + "> \(Self.number(privacy.lifetimeEpsilon)) (δ = \(delta))")
            }
        } else {
            reasons.append("the run has no differential privacy (privacy unit none); accepted units: \(acceptedUnits)")
        }
        if request.seededNoise && !accept.seededNoise {
            reasons.append("the run's noise is seeded (reproducible), which this site accepts only in test federations")
        }
        if request.trainingRecords < minimumRecords {
            reasons.append("only \(request.trainingRecords) training records, the minimum is \(minimumRecords)")
        }
        return reasons.isEmpty ? .accept : .refuse(reasons: reasons)
    }

    /// Decides whether an evaluation result computed on `heldOutRecords` records may leave
    /// the site: small-cell suppression with k = `evaluation.minimum_records`.
    public func checkEvaluation(heldOutRecords: Int) -> PolicyDecision {
        guard heldOutRecords >= evaluation.minimumRecords else {
            return .refuse(reasons: [
                "only \(heldOutRecords) held-out records, fewer than this site's minimum \(evaluation.minimumRecords) "
                    + "for an evaluation result"
            ])
        }
        return .accept
    }

    /// A number as people write it: "0.8", "3", "4.12", "1e-5", "∞".
    static func number(_ value: Double) -> String {
        if value.isInfinite { return value > 0 ? "∞" : "-∞" }
        var text = String(format: "%.3g", value)
        if let e = text.firstIndex(of: "e") {
            // "1e-05" → "1e-5"
            let mantissa = text[..<e]
            var exponent = text[text.index(after: e)...]
            var sign = ""
            if exponent.first == "-" || exponent.first == "+" {
                if exponent.first == "-" { sign = "-" }
                exponent = exponent.dropFirst()
            }
            while exponent.count > 1 && exponent.first == "0" { exponent = exponent.dropFirst() }
            text = "\(mantissa)e\(sign)\(exponent)"
        }
        return text
    }

    /// `value`, which is above `limit`, with enough digits to show that it is.
    static func number(_ value: Double, above limit: Double) -> String {
        let short = number(value)
        if let shown = Double(short), shown <= limit { return String(format: "%.6g", value) }
        return short
    }
}
