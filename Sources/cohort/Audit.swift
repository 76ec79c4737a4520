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
            abstract: "Check the log's hash chain: exit 0 if intact, else 1 naming the first bad line.",
            discussion: """
                With --anchors and --site, also check the log against every audit head the site \
                sent the orchestrator (a run folder's site-audit-anchors.jsonl): the log must hold \
                each anchored line. Unlike the head file beside the log, the anchors are kept off \
                the site's machine, so a log cut short or rewritten with fresh hashes shows even \
                when its head file was rewritten too.
                """)

        @Argument(help: "The audit log (JSON lines).") var file: String
        @Option(help: ArgumentHelp(
            "The head file recording the log's event count and last hash (default: FILE.head, when it exists).",
            valueName: "file")) var head: String?
        @Option(help: ArgumentHelp(
            "The orchestrator's anchors of site logs (site-audit-anchors.jsonl from a run folder); repeat for several runs.",
            valueName: "file")) var anchors: [String] = []
        @Option(help: "The site whose anchors to check the log against (with --anchors).") var site: String?

        func validate() throws {
            if !anchors.isEmpty && site == nil { throw ValidationError("--anchors needs --site NAME: the file holds every site's anchors") }
            if anchors.isEmpty && site != nil { throw ValidationError("--site needs --anchors FILE") }
        }

        func run() throws {
            let url = URL(fileURLWithPath: file)
            let headURL = head.map { URL(fileURLWithPath: $0) } ?? AuditHead.url(forLog: url)
            let recorded = try AuditHead.read(from: headURL)
            if head != nil && recorded == nil { throw ValidationError("\(headURL.path): no such head file") }
            let siteAnchors = try anchorsOfSite()
            let (verification, checks) = try AuditLog.verify(
                fileAt: url, head: recorded, headFile: headURL.lastPathComponent, anchors: siteAnchors)
            let failed = checks.filter { !$0.isMatch }
            switch verification {
            case .ok(let events, let hash) where failed.isEmpty:
                print(verification)
                print("head \(hash)")
                if let recorded {
                    let appended = events - recorded.events
                    print("\(headURL.lastPathComponent): \(recorded.events) events recorded, "
                          + (appended == 0 ? "none missing" : "none missing (\(appended) appended after it was written)"))
                } else {
                    print("no head file (\(headURL.lastPathComponent)): lines cut from the end would not show")
                }
                if let latest = siteAnchors.max(by: { $0.events < $1.events }), let site {
                    print("anchors: the log holds all \(siteAnchors.count) the orchestrator recorded for \(site) "
                          + "(the latest: \(latest.events) events at \(latest.roundName))")
                }
            case .ok(let events, _):
                standardError("\(file): the chain is intact (\(events) events), but not what the orchestrator recorded for \(site ?? "the site"):")
                for check in failed { standardError("\(file): \(check)") }
                throw ExitCode(1)
            case .broken, .truncated:
                standardError("\(file): \(verification)")
                for check in failed { standardError("\(file): \(check)") }
                throw ExitCode(1)
            }
        }

        /// The anchors of `--site` in the `--anchors` files, in file order; none without them.
        private func anchorsOfSite() throws -> [AuditAnchor] {
            guard let site, !anchors.isEmpty else { return [] }
            var all = [AuditAnchor]()
            for path in anchors { all += try AuditAnchor.read(from: URL(fileURLWithPath: path)) }
            let mine = all.filter { $0.site == site }
            guard !mine.isEmpty else {
                let sites = Set(all.map(\.site)).sorted()
                standardError("\(anchors.joined(separator: ", ")): no anchor for site \(site) "
                              + (sites.isEmpty ? "(no anchors at all)" : "(anchors for: \(sites.joined(separator: ", ")))"))
                throw ExitCode(1)
            }
            return mine
        }

        private func standardError(_ line: String) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
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
