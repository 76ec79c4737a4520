/// A plan that cannot be used: bad YAML, an unknown or missing field, a value out of range,
/// two fields that exclude each other, or a file that the plan names but that is not there.
///
/// The message is complete on its own and reads like a compiler's, the plan file (and line,
/// when the field is written in it) first, then the field's full path:
///
/// ```
/// plan.yaml:9: field 'local.batch_size': must be at least 1, got 0
/// plan.yaml:4: field 'local.batchsize': unknown field; known fields in 'local': epochs, steps, …
/// plan.yaml: field 'rounds': required, but missing
/// ```
///
/// Modelled on grpc-swift's `RuntimeError`: an extensible `code` for code that reacts to
/// particular failures, and a `message` for people.
public struct PlanError: Error, CustomStringConvertible, Sendable, Hashable, YAMLDocumentError {
    /// What went wrong, for code that reacts to particular failures.
    public struct Code: Hashable, Sendable, CustomStringConvertible, YAMLDocumentErrorCode {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The plan file could not be read.
        public static let unreadableFile = Code("unreadableFile")
        /// The text is not YAML, or not a mapping at the top.
        public static let invalidYAML = Code("invalidYAML")
        /// A field the plan format does not have (a typo is never silently ignored).
        public static let unknownField = Code("unknownField")
        /// A required field is absent.
        public static let missingField = Code("missingField")
        /// A field holds the wrong kind of value (text for a number, a list for a mapping, …).
        public static let wrongType = Code("wrongType")
        /// A value is out of range or not one of the allowed words.
        public static let invalidValue = Code("invalidValue")
        /// Fields that exclude or require each other disagree.
        public static let conflictingFields = Code("conflictingFields")
        /// A file the plan names (data, schema, model) is not there or cannot be used.
        public static let missingFile = Code("missingFile")

        /// The code's name, e.g. `invalidValue`.
        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// The field's full path, e.g. `local.batch_size` or `sites[1].data`; nil for errors
    /// about the whole plan.
    public var field: String?
    /// What is wrong with the field, without the location.
    public var detail: String
    /// The plan file, as given to `Plan.parse` or `Plan.load`.
    public var source: String?
    /// The 1-based line of the field in the plan file, when it is written there.
    public var line: Int?

    /// An error about `field` (nil: the whole plan); the source and line are filled in by
    /// `Plan.parse`.
    public init(_ code: Code, field: String?, _ detail: String, source: String? = nil, line: Int? = nil) {
        self.code = code
        self.field = field
        self.detail = detail
        self.source = source
        self.line = line
    }

    /// The full text: `SOURCE[:LINE]: field 'FIELD': DETAIL`.
    public var message: String { locatedMessage }

    /// The message.
    public var description: String { message }
}
