extension Plan {
    /// The plan in canonical YAML: every field written, defaults included, in the order of
    /// the reference on `Plan`, with text in double quotes and paths as the plan wrote them
    /// (see `CanonicalYAMLEncoder`). `Plan.parse` of this text, with the same base folder,
    /// gives an equal plan. Strategy settings are written only when given, as
    /// `StrategyConfiguration` keeps them.
    public func yaml() -> String {
        do {
            return try CanonicalYAMLEncoder().encode(self)
        } catch {
            preconditionFailure("a plan's sections encode without throwing, but got \(error)")
        }
    }

    /// The SHA-256 of `yaml()`'s UTF-8 bytes, as 64 lowercase hexadecimal digits: what a
    /// site's policy lists to accept a plan. Two plans that differ only in comments, layout
    /// or spelled-out defaults have the same hash; it covers the plan's text, not the
    /// contents of the files it names.
    public var hash: String { SHA256.hexDigest(of: yaml()) }
}
