import Foundation
import Testing

/// The reference values in `shared/` (PRIVACY-REFERENCE.md), found beside the package root:
/// walk up from this file to the directory holding Package.swift, then `../shared/`.
/// A missing or malformed file is an error, so the tests that need it fail — never skip.
enum ReferenceFiles {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The package root: the nearest ancestor of this source file with a Package.swift.
    static func packageRoot(from file: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        throw Missing(description: "no Package.swift above \(file); cannot locate ../shared/")
    }

    /// The rows of `<root>/../shared/<name>` as dictionaries keyed by the header.
    static func rows(of name: String) throws -> [[String: String]] {
        let url = try packageRoot().deletingLastPathComponent()
            .appendingPathComponent("shared").appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw Missing(
                description: "reference file \(url.path) is missing or unreadable: the privacy tests need "
                    + "shared/\(name) beside the repository (see shared/PRIVACY-REFERENCE.md)")
        }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard let header = lines.first?.split(separator: ",").map(String.init), lines.count > 1 else {
            throw Missing(description: "reference file \(url.path) has no header or no rows")
        }
        return try lines.dropFirst().enumerated().map { offset, line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == header.count else {
                throw Missing(description: "\(url.path):\(offset + 2): \(fields.count) fields, header has \(header.count)")
            }
            return Dictionary(uniqueKeysWithValues: zip(header, fields))
        }
    }

    /// The number in `column` of `row`, or an error naming both.
    static func number(_ row: [String: String], _ column: String) throws -> Double {
        guard let text = row[column], let value = Double(text) else {
            throw Missing(description: "reference row \(row) has no number in column \(column)")
        }
        return value
    }
}

/// |a − b| / |b|.
func relativeDifference(_ a: Double, _ b: Double) -> Double {
    abs(a - b) / abs(b)
}
