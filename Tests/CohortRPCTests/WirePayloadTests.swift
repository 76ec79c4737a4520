import Foundation
import Testing

@testable import CohortRPC

/// The wire form of a float vector, read and written without a whole second copy.
@Suite("Wire payload straight from and to floats")
struct WirePayloadTests {
    static let values: [Float] = (0..<1000).map { Float($0) * 0.37 - 11 } + [.infinity, -0.0, .leastNonzeroMagnitude]

    @Test("chunks and hash from [Float] equal those of the assembled little-endian bytes", arguments: [4, 7, 1024, 1 << 20])
    func chunksFromFloats(size: Int) {
        let bytes = WirePayload.bytes(of: Self.values)
        #expect(WirePayload.chunks(of: Self.values, size: size) == WirePayload.chunks(of: bytes, size: size))
        #expect(WirePayload.sha256(of: Self.values) == WirePayload.sha256(bytes))
        #expect(WirePayload.chunks(of: [Float](), size: size) == [Data()])
    }

    @Test("the assembler decodes chunks that split floats, and hashes every byte", arguments: [1, 3, 4, 5, 4096])
    func assemblerAcrossChunks(size: Int) throws {
        let bytes = WirePayload.bytes(of: Self.values)
        var assembler = WirePayload.Assembler(expectedBytes: bytes.count)
        for chunk in WirePayload.chunks(of: bytes, size: size) { assembler.append(chunk) }
        let decoded = try #require(assembler.finished())
        #expect(decoded.map(\.bitPattern) == Self.values.map(\.bitPattern))
        #expect(assembler.byteCount == bytes.count)
        #expect(assembler.sha256 == WirePayload.sha256(bytes))
    }

    @Test("bytes that are not a whole number of floats decode to nothing")
    func assemblerRefusesAPartialFloat() {
        var assembler = WirePayload.Assembler(expectedBytes: 8)
        assembler.append(Data([1, 2, 3, 4, 5, 6]))
        #expect(assembler.finished() == nil)
        #expect(assembler.byteCount == 6)
    }
}
