import CohortData
import CohortFederation
import CohortTestSupport
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

@testable import CohortRPC

/// A real `cohort orchestrator` process facing parties that misbehave: a site that sends
/// broken updates, a site that answers another's task, a researcher that submits an update.
/// The misbehaving parties are clients in this test; hospital-a is a real `cohort site`.
@Suite("orchestrator process against hostile parties", .serialized)
struct HostileSiteTests {
    static func credentials(_ federation: TestFederation, _ name: String) throws -> PartyCredentials {
        try PartyCredentials(directory: federation.url("pki/\(name)"), name: name,
                             federationCA: federation.url("pki/ca/ca.cert.pem"))
    }

    static func transport(_ federation: TestFederation, _ name: String) throws -> HTTP2ClientTransport.Posix {
        try .mutualTLS(host: "127.0.0.1", port: federation.port, credentials: credentials(federation, name))
    }

    /// What hospital-b sends instead of its update in each round, and the words its rejection must contain.
    enum Attack: CaseIterable {
        case nonFinite, oversized, badChecksum, beyondClipBound

        var expectedReason: String {
            switch self {
            case .nonFinite: "NaN"
            case .oversized: "oversized"
            case .badChecksum: "checksum"
            case .beyondClipBound: "exceeds the clip bound"
            }
        }

        func chunks(header: Cohort_V1_UpdateHeader, parameterCount: Int) -> [Cohort_V1_UpdateChunk] {
            var values = [Float](repeating: 0.01, count: parameterCount)
            var claimed: Data?
            switch self {
            case .nonFinite: values[0] = .nan
            case .oversized: values += [Float](repeating: 0, count: 4096)
            case .badChecksum: claimed = WirePayload.sha256(Data("something else".utf8))
            case .beyondClipBound: values = [Float](repeating: 100, count: parameterCount)
            }
            let payload = WirePayload.bytes(of: values)
            return [.with { $0.header = header }]
                + WirePayload.chunks(of: payload, size: 1 << 20).map { chunk in .with { $0.payload = chunk } }
                + [.with { $0.trailer = .with { $0.payloadBytes = UInt64(payload.count); $0.sha256 = claimed ?? WirePayload.sha256(payload) } }]
        }
    }

    @Test("broken updates are rejected with their reason and the run goes on; no site answers another's task; roles hold")
    func hostileParties() async throws {
        let federation = try await TestFederation.make(sites: ["hospital-a", "hospital-b"])
        try await federation.startOrchestrator()
        try federation.startSite("hospital-a")
        let plan = try federation.writePlan(rounds: Attack.allCases.count, replacing: ["minimum: 2": "minimum: 1"])
        let run = try BackgroundProcess(
            "run", ["run", plan.path, "--out", "runs/hostile", "--orchestrator", "127.0.0.1:\(federation.port)", "--pki", "pki/dr-lee"],
            in: federation.root, logDirectory: federation.url("logs"), setting: federation.environment)

        // A researcher certificate cannot call the site service.
        let asResearcher = await rpcError {
            try await withSiteClient(try Self.transport(federation, "dr-lee")) { site in
                _ = try await site.submitUpdate(options: testCallOptions) { writer in
                    try await writer.write(.with { $0.header = .with { $0.taskID = "anything" } })
                }
            }
        }
        #expect(asResearcher?.code == .permissionDenied, "\(String(describing: asResearcher))")

        let table = try CSVTable(contentsOf: federation.url("data/hospital-b.csv"))
        let receipts = try await withTimeout(seconds: 120, "hospital-b's session") {
            try await withSiteClient(try Self.transport(federation, "hospital-b")) { site in
                _ = try await site.register(.init(), options: testCallOptions)
                return try await site.tasks(.init()) { response in
                    var receipts = [Cohort_V1_UpdateReceipt]()
                    var training: (task: Cohort_V1_Task, chunksLeft: Int)?
                    for try await message in response.messages {
                        switch message.kind {
                        case .preprocessing(let preprocessing):
                            // hospital-a may not answer hospital-b's task.
                            let stolen = await rpcError {
                                try await withSiteClient(try Self.transport(federation, "hospital-a")) { other in
                                    _ = try await other.submitAggregates(.with { $0.taskID = message.taskID }, options: testCallOptions)
                                }
                            }
                            #expect(stolen?.code == .permissionDenied, "\(String(describing: stolen))")
                            #expect(stolen?.message.contains("not sent to hospital-a") == true)
                            let schema = try Schema(jsonData: Data(preprocessing.schemaJson.utf8), fileName: "schema")
                            let aggregates = try await InMemorySite(name: "hospital-b", table: table, seed: 8).aggregates(schema: schema, noise: nil)
                            _ = try await site.submitAggregates(
                                Cohort_V1_AggregatesResult(aggregates, runID: message.runID, taskID: message.taskID), options: testCallOptions)
                        case .training(let task):
                            guard case .inlineChunkCount(let count)? = task.globalModel.delivery else { continue }
                            training = (message, Int(count))
                        case .globalModelChunk:
                            guard var pending = training else { continue }
                            pending.chunksLeft -= 1
                            training = pending
                            guard pending.chunksLeft == 0, case .training(let task)? = pending.task.kind else { continue }
                            training = nil
                            let attack = Attack.allCases[Int(pending.task.round) - 1]
                            let header = Cohort_V1_UpdateHeader.with {
                                $0.runID = pending.task.runID
                                $0.round = pending.task.round
                                $0.taskID = pending.task.taskID
                                $0.records = 100
                                $0.steps = 1
                                $0.manifest = task.globalModel.manifest
                            }
                            let parameterCount = Int(task.globalModel.manifest.payloadBytes / 4)
                            let chunks = attack.chunks(header: header, parameterCount: parameterCount)
                            let receipt = try await site.submitUpdate(options: testCallOptions) { writer in
                                for chunk in chunks { try await writer.write(chunk) }
                            }
                            receipts.append(receipt)
                        case .evaluation:
                            _ = try await site.refuseTask(
                                .with { $0.runID = message.runID; $0.taskID = message.taskID; $0.reasons = ["this test site does not evaluate"] },
                                options: testCallOptions)
                            if receipts.count == Attack.allCases.count && message.round == UInt32(Attack.allCases.count) { return receipts }
                        default:
                            break
                        }
                    }
                    return receipts
                }
            }
        }
        try await run.waitForLine(containing: "rounds completed", timeout: 60)

        try #require(receipts.count == Attack.allCases.count)
        for (attack, receipt) in zip(Attack.allCases, receipts) {
            #expect(!receipt.accepted, "\(attack) was accepted")
            #expect(receipt.rejectionReason.contains(attack.expectedReason), "\(attack): \(receipt.rejectionReason)")
        }
        // Every round went on with hospital-a and recorded why hospital-b was dropped.
        let lines = try String(contentsOf: federation.url("runs/hostile/metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == Attack.allCases.count)
        for (attack, line) in zip(Attack.allCases, lines) {
            let record = try JSONDecoder().decode(RoundRecord.self, from: Data(line.utf8))
            #expect(record.answered == ["hospital-a"])
            #expect(record.dropped["hospital-b"]?.contains(attack.expectedReason) == true, "\(record.dropped)")
            // The real site's audit head is kept; this test's hospital-b sends none, as sites before anchors.
            #expect(record.auditAnchors.map { Array($0.keys) } == ["hospital-a"], "\(String(describing: record.auditAnchors))")
            #expect(record.droppedAuditAnchors == nil)
        }
        let log = try #require(federation.orchestrator).standardError
        #expect(log.contains("rejected the update of hospital-b"))
    }
}
