import ArgumentParser
import CohortFederation
import Foundation

/// `cohort audit`: check and read a site's audit log.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check and read a site's audit log.",
        discussion: """
            A site writes one JSON line per event (task received, accepted or refused and why, \
            ε spent, bytes sent). Each line carries the SHA-256 of the line before it and a \
            hash of its own content, so an edited, deleted, reordered or inserted line shows.
            """,
        subcommands: [Verify.self, Show.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the log's hash chain: exit 0 if intact, else 1 naming the first bad line.")

        @Argument(help: "The audit log (JSON lines).") var file: String
        @Option(help: ArgumentHelp(
            "The head file recording the log's event count and last hash (default: FILE.head, when it exists).",
            valueName: "file")) var head: String?

        func run() throws {
            let url = URL(fileURLWithPath: file)
            let headURL = head.map { URL(fileURLWithPath: $0) } ?? AuditHead.url(forLog: url)
            let recorded = try AuditHead.read(from: headURL)
            if head != nil && recorded == nil { throw ValidationError("\(headURL.path): no such head file") }
            let verification = try AuditLog.verify(fileAt: url, head: recorded, headFile: headURL.lastPathComponent)
            switch verification {
            case .ok(let events, let hash):
                print(verification)
                print("head \(hash)")
                if let recorded {
                    let appended = events - recorded.events
                    print("\(headURL.lastPathComponent): \(recorded.events) events recorded, "
                          + (appended == 0 ? "none missing" : "none missing (\(appended) appended after it was written)"))
                } else {
                    print("no head file (\(headURL.lastPathComponent)): lines cut from the end would not show")
                }
            case .broken, .truncated:
                FileHandle.standardError.write(Data("\(file): \(verification)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the log's events, one per line: seq, time, event, details.")

        @Argument(help: "The audit log (JSON lines).") var file: String
        @Option(help: "Only the last N events.") var last: Int?
        @Flag(help: "Print the lines as written.") var json = false

        func validate() throws {
            if let last, last < 1 { throw ValidationError("--last must be at least 1, got \(last)") }
        }

        func run() throws {
            let url = URL(fileURLWithPath: file)
            let text = try String(contentsOf: url, encoding: .utf8)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            let first = max(0, lines.count - (last ?? lines.count))
            for (index, line) in lines.enumerated().dropFirst(first) {
                if json {
                    print(line)
                    continue
                }
                do {
                    let entry = try AuditEntry(line: line)
                    print("\(entry.seq)  \(entry.time)  \(entry.event)  \(AuditValue.object(entry.details).json)")
                } catch {
                    print("\(index + 1)  ! \(error.reason): \(line)")
                }
            }
            let verification = try AuditLog.verify(fileAt: url)
            if !verification.isIntact {
                FileHandle.standardError.write(
                    Data("warning: \(file): \(verification); the chain is broken (see `cohort audit verify`)\n".utf8))
            }
        }
    }
}
