import Crypto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

@testable import CohortRPC

/// Streamed uploads over mutual TLS: large payloads in chunks, and the message limit.
@Suite("Transport: streaming", .timeLimit(.minutes(1)))
struct TransportStreamingTests {
    /// `count` float32 values as little-endian bytes, from a fixed sequence.
    static func payload(floats count: Int) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(count * 4)
        var state: UInt32 = 0x1234_5678
        for _ in 0..<count {
            state = state &* 1_664_525 &+ 1_013_904_223  // Numerical Recipes LCG
            let value = Float(state >> 8) / Float(1 << 24) - 0.5
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    @Test("a 20 MiB update streamed in 1 MiB chunks arrives intact")
    func largeUpdateArrivesIntact() async throws {
        let limits = MessageLimits.default
        let payload = Self.payload(floats: 5 * 1024 * 1024)  // 20 MiB, 2.5× the message limit
        let digest = Array(SHA256.hash(data: payload))
        #expect(payload.count > 2 * limits.maxMessageBytes)

        try await withTransportPKI { pki in
            let record = ServerRecord()
            let receipt = try await withTimeout(seconds: 45, "20 MiB upload") {
                try await withEchoServer(pki: pki, record: record, limits: limits) { port in
                    let transport = try HTTP2ClientTransport.Posix.mutualTLS(
                        host: "127.0.0.1", port: port, credentials: pki.site, limits: limits)
                    return try await withSiteClient(transport) { site in
                        try await site.submitUpdate(options: slowCallOptions) { writer in
                            try await writer.write(.with {
                                $0.header = .with {
                                    $0.runID = "run-1"
                                    $0.round = 3
                                    $0.taskID = "task-7"
                                    $0.records = 812
                                    $0.steps = 40
                                    $0.trainingLoss = 0.41
                                    $0.siteEpsilon = 1.25
                                    $0.manifest = .with {
                                        $0.tensors = [.with { $0.name = "dense0.weight"; $0.shape = [1024, 5120] }]
                                        $0.payloadBytes = UInt64(payload.count)
                                        $0.sha256 = Data(digest)
                                    }
                                }
                            })
                            for start in stride(from: 0, to: payload.count, by: limits.chunkBytes) {
                                let end = min(start + limits.chunkBytes, payload.count)
                                try await writer.write(.with { $0.payload = Data(payload[start..<end]) })
                            }
                            try await writer.write(.with {
                                $0.trailer = .with {
                                    $0.payloadBytes = UInt64(payload.count)
                                    $0.sha256 = Data(digest)
                                }
                            })
                        }
                    }
                }
            }
            #expect(receipt.accepted, "\(receipt.rejectionReason)")
            #expect(receipt.taskID == "task-7")
            #expect(receipt.payloadBytes == UInt64(payload.count))
            let upload = try #require(record.uploads.first)
            #expect(upload.digest == digest)
            #expect(upload.chunks == limits.chunkCount(forPayloadBytes: payload.count))
            #expect(upload.header?.siteEpsilon == 1.25)
            #expect(record.callers.map(\.name) == ["hospital-a"])
        }
    }

    @Test("a message over the limit fails the call; one under it goes through", arguments: [
        (200 * 1024, true), (300 * 1024, false),
    ])
    func messageLimitIsEnforced(payloadBytes: Int, accepted: Bool) async throws {
        let limits = MessageLimits(maxMessageBytes: 256 * 1024, chunkBytes: 64 * 1024)
        let payload = Data(Self.payload(floats: payloadBytes / 4))
        let digest = Data(SHA256.hash(data: payload))
        try await withTransportPKI { pki in
            let record = ServerRecord()
            let result = try await withTimeout(seconds: 30, "one-message upload") {
                try await withEchoServer(pki: pki, record: record, limits: limits) { port in
                    let transport = try HTTP2ClientTransport.Posix.mutualTLS(
                        host: "127.0.0.1", port: port, credentials: pki.site, limits: limits)
                    do {
                        let receipt = try await withSiteClient(transport) { site in
                            try await site.submitUpdate(options: testCallOptions) { writer in
                                try await writer.write(.with { $0.header = .with { $0.taskID = "task-one" } })
                                try await writer.write(.with { $0.payload = payload })
                                try await writer.write(.with {
                                    $0.trailer = .with { $0.payloadBytes = UInt64(payload.count); $0.sha256 = digest }
                                })
                            }
                        }
                        return Result<Cohort_V1_UpdateReceipt, RPCError>.success(receipt)
                    } catch let error as RPCError {
                        return .failure(error)
                    }
                }
            }
            switch result {
            case .success(let receipt):
                #expect(accepted, "a \(payloadBytes)-byte message passed a \(limits.maxMessageBytes)-byte limit")
                #expect(receipt.accepted)
            case .failure(let error):
                #expect(!accepted, "\(error)")
                // The server's decoder refuses the message and resets the HTTP/2 stream
                // (RST_STREAM cancel); the client sees `unavailable`, not a status.
                #expect(error.code == .unavailable)
                #expect(record.uploads.isEmpty)
            }
        }
    }
}
