import Foundation

extension Schema {
    /// The schema file that belongs next to a CSV file: `NAME.csv` → `NAME.schema.json`.
    public static func companionURL(forCSV csv: URL) -> URL {
        csv.deletingPathExtension().appendingPathExtension("schema.json")
    }

    /// The schema as pretty-printed JSON with sorted keys and a final newline, so that a
    /// regenerated file differs from the old one only where the schema does.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Writes `jsonData()` to `url`, replacing any file there.
    public func write(to url: URL) throws {
        do {
            try jsonData().write(to: url, options: .atomic)
        } catch {
            throw DataError(.unreadableFile, "cannot write the schema: \(error.localizedDescription)", file: url.path)
        }
    }

    /// Reads a schema from JSON and checks it (`check(file:)`); `fileName` is how errors
    /// refer to the JSON, and they name the offending field, e.g. `features[3].kind`.
    public init(jsonData: Data, fileName: String) throws {
        do {
            self = try JSONDecoder().decode(Schema.self, from: jsonData)
        } catch let error as DecodingError {
            throw DataError(.invalidSchema, Schema.explain(error), file: fileName)
        } catch {
            throw DataError(.invalidSchema, "not a valid schema: \(error.localizedDescription)", file: fileName)
        }
        try check(file: fileName)
    }

    /// Reads and checks the schema file at `url`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DataError(.unreadableFile, "cannot read the schema: \(error.localizedDescription)", file: url.path)
        }
        try self.init(jsonData: data, fileName: url.path)
    }

    private static func explain(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            var text = ""
            for key in codingPath + (last.map { [$0] } ?? []) {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let detail = context.debugDescription.hasPrefix("No value associated") ? "" : ": \(context.debugDescription)"
            return "field \(path(context.codingPath, key)) is missing\(detail)"
        case .typeMismatch(let type, let context):
            return "field \(path(context.codingPath)) should be \(type)"
        case .valueNotFound(let type, let context):
            return "field \(path(context.codingPath)) should be \(type), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "not valid JSON (\(context.debugDescription))"
            }
            return "field \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "not a valid schema: \(error)"
        }
    }
}
