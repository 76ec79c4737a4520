import Foundation

extension SitePolicy {
    /// Parses and validates a policy's YAML, resolving relative paths against
    /// `baseDirectory` (the current folder when nil). Files are not opened.
    ///
    /// - Parameters:
    ///   - yaml: the policy's text.
    ///   - source: how errors name the policy, usually its path.
    ///   - baseDirectory: the policy file's folder.
    /// - Throws: `SitePolicyError` naming the source, the line and the field, e.g.
    ///   `site.yaml:9: field 'privacy.delta': must be in (0, 1), got 2.0`.
    public static func parse(
        yaml: String, source: String = "site.yaml", baseDirectory: URL? = nil
    ) throws(SitePolicyError) -> SitePolicy {
        try YAMLDocument<SitePolicyError>(source: source).decode(
            SitePolicy.self, from: yaml,
            ifEmpty: "the policy is empty; it needs at least name, dataset, accept, privacy and audit_log",
            ifNotMapping: { "a site policy is a mapping of fields (name: …, dataset: …), not a \($0)" }
        ) { policy in
            let policy = policy.resolvingPaths(against: baseDirectory)
            try policy.validate()
            return policy
        }
    }

    /// Reads, parses and validates the policy at `url`, resolving relative paths against its
    /// folder.
    ///
    /// - Throws: `SitePolicyError` naming the policy file and the field.
    public static func load(from url: URL) throws(SitePolicyError) -> SitePolicy {
        let text = try YAMLDocument<SitePolicyError>.text(of: url, describedAs: "the site policy")
        return try parse(yaml: text, source: url.path, baseDirectory: url.deletingLastPathComponent())
    }
}
