import Foundation

extension SitePolicy {
    /// Checks every value that decoding cannot: ranges, names, and the rules between fields.
    /// Files are not opened.
    ///
    /// - Throws: `SitePolicyError` naming the first field at fault, e.g.
    ///   `field 'privacy.delta': must be in (0, 1), got 2.0`.
    public func validate() throws(SitePolicyError) {
        try Self.checkIdentifier(name, field: "name")
        try Self.nonEmpty(dataset.path.path, field: "dataset.path")
        if let schema = dataset.schema { try Self.nonEmpty(schema.path, field: "dataset.schema") }
        guard dataset.holdout > 0 && dataset.holdout < 1 else {
            throw SitePolicyError(.invalidValue, field: "dataset.holdout", "must be in (0, 1), got \(dataset.holdout)")
        }
        try Self.checkNames(accept.models, field: "accept.models", allowed: nil)
        try Self.checkNames(accept.strategies, field: "accept.strategies", allowed: StrategyKind.allCases.map(\.rawValue))
        guard !accept.units.isEmpty else {
            throw SitePolicyError(.invalidValue, field: "accept.units", "needs at least one of record, site")
        }
        for (index, unit) in accept.units.enumerated() where accept.units[..<index].contains(unit) {
            throw SitePolicyError(.invalidValue, field: "accept.units[\(index)]", "'\(unit.rawValue)' is listed twice")
        }
        try validatePrivacy()
        guard minimumRecords >= 1 else {
            throw SitePolicyError(.invalidValue, field: "minimum_records", "must be at least 1, got \(minimumRecords)")
        }
        guard evaluation.minimumRecords >= 1 else {
            throw SitePolicyError(
                .invalidValue, field: "evaluation.minimum_records", "must be at least 1, got \(evaluation.minimumRecords)")
        }
        try validatePlans()
        try Self.nonEmpty(auditLog.path, field: "audit_log")
    }

    private func validatePrivacy() throws(SitePolicyError) {
        try Self.positive(privacy.minimumNoiseMultiplier, field: "privacy.minimum_noise_multiplier")
        try Self.positive(privacy.maximumEpsilonPerRun, field: "privacy.maximum_epsilon_per_run")
        try Self.positive(privacy.lifetimeEpsilon, field: "privacy.lifetime_epsilon")
        if privacy.lifetimeEpsilon < privacy.maximumEpsilonPerRun {
            throw SitePolicyError(
                .conflictingFields, field: "privacy.lifetime_epsilon",
                "is \(privacy.lifetimeEpsilon), less than privacy.maximum_epsilon_per_run \(privacy.maximumEpsilonPerRun): "
                    + "no run could reach the per-run maximum")
        }
        guard privacy.delta > 0 && privacy.delta < 1 else {
            throw SitePolicyError(.invalidValue, field: "privacy.delta", "must be in (0, 1), got \(privacy.delta)")
        }
    }

    private func validatePlans() throws(SitePolicyError) {
        switch plans.mode {
        case .withinPolicy:
            if !plans.hashes.isEmpty {
                throw SitePolicyError(
                    .conflictingFields, field: "plans.hashes",
                    "applies only with plans.mode listed_hashes_only; with within_policy every plan within policy is accepted")
            }
        case .listedHashesOnly:
            guard !plans.hashes.isEmpty else {
                throw SitePolicyError(
                    .invalidValue, field: "plans.hashes",
                    "lists no plan, so with plans.mode listed_hashes_only no plan would be accepted")
            }
            let hexDigits = Set("0123456789abcdef")
            for (index, hash) in plans.hashes.enumerated() {
                guard hash.count == 64, hash.allSatisfy({ hexDigits.contains($0) }) else {
                    throw SitePolicyError(
                        .invalidValue, field: "plans.hashes[\(index)]",
                        "must be a plan's SHA-256 (64 hexadecimal digits, as `Plan.hash` gives it), got '\(hash)'")
                }
            }
        }
    }

    // MARK: - Checks shared by the sections

    private static func checkNames(_ list: NameList, field: String, allowed: [String]?) throws(SitePolicyError) {
        guard case .only(let names) = list else { return }
        guard !names.isEmpty else {
            throw SitePolicyError(.invalidValue, field: field, "needs at least one name, or \"*\" for any")
        }
        for (index, name) in names.enumerated() {
            try nonEmpty(name, field: "\(field)[\(index)]")
            if let allowed, !allowed.contains(name) {
                throw SitePolicyError(
                    .invalidValue, field: "\(field)[\(index)]",
                    "unknown name '\(name)'; known: \(allowed.joined(separator: ", ")), or \"*\" for any")
            }
            if names[..<index].contains(name) {
                throw SitePolicyError(.invalidValue, field: "\(field)[\(index)]", "'\(name)' is listed twice")
            }
        }
    }

    private static func positive(_ value: Double, field: String) throws(SitePolicyError) {
        guard value > 0 && value.isFinite else {
            throw SitePolicyError(.invalidValue, field: field, "must be a finite number above 0, got \(value)")
        }
    }

    private static func nonEmpty(_ value: String, field: String) throws(SitePolicyError) {
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SitePolicyError(.invalidValue, field: field, "must not be empty")
        }
    }

    /// Site names become certificate, ledger and file names.
    private static func checkIdentifier(_ value: String, field: String) throws(SitePolicyError) {
        try nonEmpty(value, field: field)
        guard Identifier.isValid(value) else {
            throw SitePolicyError(
                .invalidValue, field: field,
                "must be letters, digits, '.', '_' and '-', starting with a letter or digit, got '\(value)'")
        }
    }
}
