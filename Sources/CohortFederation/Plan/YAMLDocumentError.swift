import Yams

/// The shape that `PlanError` and `SitePolicyError` share: an error about one field of a
/// YAML document, which `YAMLDocument` places at the document's source and the field's line.
protocol YAMLDocumentError: Error {
    associatedtype Code: YAMLDocumentErrorCode

    var field: String? { get }
    var detail: String { get }
    var source: String? { get set }
    var line: Int? { get set }

    init(_ code: Code, field: String?, _ detail: String, source: String?, line: Int?)

    /// `error` as this document's error, when decoding or validating it threw one; nil for
    /// any other error.
    static func documentError(_ error: any Error) -> Self?
}

/// The codes that `YAMLDocument` gives on its own.
protocol YAMLDocumentErrorCode {
    static var unreadableFile: Self { get }
    static var invalidYAML: Self { get }
    static var unknownField: Self { get }
    static var missingField: Self { get }
    static var wrongType: Self { get }
    static var invalidValue: Self { get }
}

extension YAMLDocumentError {
    static func documentError(_ error: any Error) -> Self? { error as? Self }

    /// The full text: `SOURCE[:LINE]: field 'FIELD': DETAIL`.
    var locatedMessage: String {
        var location = source ?? ""
        if let line { location += location.isEmpty ? "line \(line)" : ":\(line)" }
        var text = location.isEmpty ? "" : location + ": "
        if let field { text += "field '\(field)': " }
        return text + detail
    }

    /// The same error named after `source`, at the line of its field in `root` (when it has
    /// no line yet).
    func located(source: String, root: Node?) -> Self {
        var error = self
        error.source = source
        if error.line == nil, let field, let root { error.line = root.line(ofField: field) }
        return error
    }
}
