/// A site policy that cannot be used: bad YAML, an unknown or missing field, a value out of
/// range, or two fields that disagree.
///
/// The message reads like a compiler's and like `PlanError`'s, the policy file (and line,
/// when the field is written in it) first, then the field's full path:
///
/// ```
/// site.yaml:12: field 'privacy.delta': must be in (0, 1), got 2.0
/// site.yaml:5: field 'accept.model': unknown field; known fields in 'accept': models, strategies, units
/// site.yaml: field 'audit_log': required, but missing
/// ```
public struct SitePolicyError: Error, CustomStringConvertible, Sendable, Hashable, YAMLDocumentError {
    /// What went wrong, for code that reacts to particular failures.
    public struct Code: Hashable, Sendable, CustomStringConvertible, YAMLDocumentErrorCode {
        private let name: String
        init(_ name: String) { self.name = name }

        /// The policy file could not be read.
        public static let unreadableFile = Code("unreadableFile")
        /// The text is not YAML, or not a mapping at the top.
        public static let invalidYAML = Code("invalidYAML")
        /// A field the policy format does not have (a typo is never silently ignored).
        public static let unknownField = Code("unknownField")
        /// A required field is absent.
        public static let missingField = Code("missingField")
        /// A field holds the wrong kind of value (text for a number, a list for a mapping, …).
        public static let wrongType = Code("wrongType")
        /// A value is out of range or not one of the allowed words.
        public static let invalidValue = Code("invalidValue")
        /// Fields that exclude or require each other disagree.
        public static let conflictingFields = Code("conflictingFields")

        /// The code's name, e.g. `invalidValue`.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// The field's full path, e.g. `privacy.delta` or `accept.models[1]`; nil for errors
    /// about the whole policy.
    public var field: String?
    /// What is wrong with the field, without the location.
    public var detail: String
    /// The policy file, as given to `SitePolicy.parse` or `SitePolicy.load`.
    public var source: String?
    /// The 1-based line of the field in the policy file, when it is written there.
    public var line: Int?

    /// An error about `field` (nil: the whole policy); `SitePolicy.parse` fills in the
    /// source and line.
    public init(_ code: Code, field: String?, _ detail: String, source: String? = nil, line: Int? = nil) {
        self.code = code
        self.field = field
        self.detail = detail
        self.source = source
        self.line = line
    }

    /// The same error from the plan decoder's field helpers (`PlanFields`), which the policy
    /// shares: the codes have the same names.
    init(_ error: PlanError) {
        self.init(Code(error.code.description), field: error.field, error.detail, source: error.source, line: error.line)
    }

    /// `error` as a policy error, when decoding or validating the policy threw one, or a
    /// `PlanError` from `PlanFields`.
    static func documentError(_ error: any Error) -> SitePolicyError? {
        (error as? SitePolicyError) ?? (error as? PlanError).map(SitePolicyError.init)
    }

    /// The full text: `SOURCE[:LINE]: field 'FIELD': DETAIL`.
    public var message: String { locatedMessage }

    /// The message.
    public var description: String { message }
}
