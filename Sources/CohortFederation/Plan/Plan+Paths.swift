import Foundation

extension Plan {
    /// A file named by a plan: the path as written, and the file it means.
    ///
    /// A relative path is resolved against the plan file's folder (the `baseDirectory` of
    /// `Plan.parse`), so a plan and its data can move together; `~` means the home folder.
    /// A plan is written back (`yaml()`, and so `hash`) with the path as written, so the
    /// same plan text has the same hash wherever it lives.
    public struct FilePath: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The path as the plan writes it.
        public var path: String
        /// The file it names.
        public var url: URL

        /// `path` resolved against `baseDirectory` (the current folder when nil).
        public init(_ path: String, relativeTo baseDirectory: URL?) {
            self.path = path
            let expanded = NSString(string: path).expandingTildeInPath
            if expanded.hasPrefix("/") {
                url = URL(fileURLWithPath: expanded).standardizedFileURL
            } else if let baseDirectory {
                url = baseDirectory.appendingPathComponent(expanded).standardizedFileURL
            } else {
                url = URL(fileURLWithPath: expanded).standardizedFileURL.absoluteURL
            }
        }

        /// Decodes the path as written, resolved against the current folder; `Plan.parse`
        /// then resolves it against the plan's folder.
        public init(from decoder: any Decoder) throws {
            self.init(try decoder.singleValueContainer().decode(String.self), relativeTo: nil)
        }

        /// Encodes the path as written.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(path)
        }

        /// The path as written.
        public var description: String { path }

        /// The same path, resolved against `baseDirectory`.
        func resolved(against baseDirectory: URL?) -> FilePath { FilePath(path, relativeTo: baseDirectory) }
    }

    /// The model a plan trains: a built-in definition in `Models/` by name
    /// (`logistic-regression`, `mlp-small`), or a definition file by path. As
    /// `ModelDefinition.load` decides, a reference with a `/` or ending in `.yaml` / `.yml`
    /// is a path (resolved against the plan's folder), anything else a name.
    public enum ModelReference: Sendable, Hashable, Codable, CustomStringConvertible {
        /// `Models/NAME.yaml`.
        case named(String)
        /// A model definition file.
        case file(FilePath)

        /// A reference as a plan writes it.
        public init(_ text: String, relativeTo baseDirectory: URL?) {
            if text.contains("/") || text.hasSuffix(".yaml") || text.hasSuffix(".yml") {
                self = .file(FilePath(text, relativeTo: baseDirectory))
            } else {
                self = .named(text)
            }
        }

        /// Decodes the text as written.
        public init(from decoder: any Decoder) throws {
            self.init(try decoder.singleValueContainer().decode(String.self), relativeTo: nil)
        }

        /// Encodes the text as written.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }

        /// The reference as written.
        public var description: String {
            switch self {
            case .named(let name): name
            case .file(let file): file.path
            }
        }

        /// What `ModelDefinition.load(_:modelsDirectory:)` takes: the name, or the file's
        /// absolute path.
        public var loadReference: String {
            switch self {
            case .named(let name): name
            case .file(let file): file.url.path
            }
        }

        func resolved(against baseDirectory: URL?) -> ModelReference {
            switch self {
            case .named: self
            case .file(let file): .file(file.resolved(against: baseDirectory))
            }
        }
    }
}
