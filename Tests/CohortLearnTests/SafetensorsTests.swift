import CohortLearn
import CohortTensor
import Foundation
import Testing

@Suite("Safetensors model files: round trip and byte layout")
struct SafetensorsTests {
    // MARK: Round trip

    @Test("tensors of rank 0, 1 and 2, empty ones included, read back in the order written")
    func roundTripShapes() throws {
        var generator = SeededGenerator(seed: 2024)
        let tensors = NamedTensors([
            ("dense0.weight", .randomNormal([4, 3], using: &generator)),
            ("empty.vector", Tensor(shape: [0], scalars: [])),
            ("dense0.bias", .randomNormal([3], using: &generator)),
            ("temperature", Tensor(shape: [], scalars: [1.25])),
            ("empty.matrix", Tensor(shape: [2, 0], scalars: [])),
            ("a.last", .randomUniform([1, 5], using: &generator)),
        ])
        let metadata = ["model": #"{"kind":"mlp","layers":[4,3]}"#, "format": "pt"]
        let (read, readMetadata) = try Self.roundTrip(tensors, metadata: metadata)
        #expect(read.names == tensors.names)
        #expect(read.tensors.map(\.shape) == tensors.tensors.map(\.shape))
        #expect(Self.bits(read) == Self.bits(tensors))
        #expect(read == tensors)
        #expect(readMetadata == metadata)
        #expect(read.flattened() == tensors.flattened())
    }

    @Test("NaN payloads, infinities, -0 and subnormals keep their exact bits")
    func specialFloats() throws {
        let patterns: [UInt32] = [
            0x7FC0_0000, 0x7FC1_2345, 0xFFC0_0000, 0x7F80_0001,  // quiet, payload, negative, signalling NaN
            0x7F80_0000, 0xFF80_0000, 0x8000_0000, 0x0000_0000,  // +inf, -inf, -0, +0
            0x0000_0001, 0x807F_FFFF, 0x7F7F_FFFF, 0x0080_0000,  // subnormals, largest finite, least normal
        ]
        let tensors = NamedTensors([
            ("special", Tensor(shape: [3, 4], scalars: patterns.map(Float.init(bitPattern:)))),
        ])
        let (read, _) = try Self.roundTrip(tensors, metadata: [:])
        #expect(read["special"]?.scalars.map(\.bitPattern) == patterns)
        #expect(read["special"]?.shape == [3, 4])
    }

    @Test("metadata strings with quotes, escapes, control characters and non-ASCII survive")
    func metadataStrings() throws {
        let metadata = [
            "quotes": #"she said "yes" \ no"#,
            "whitespace": "line 1\nline 2\r\n\ttabbed",
            "control": "bell \u{07} nul \u{00} unit \u{1F} delete \u{7F}",
            "path/with/slashes": "https://example.org/a/b",
            "site": "Hôpital Saint-Éloi — ✓ 🏥",
            "": "empty key",
            "empty value": "",
        ]
        let tensors = NamedTensors([("w", Tensor([1, 2]))])
        let (_, readMetadata) = try Self.roundTrip(tensors, metadata: metadata)
        #expect(readMetadata == metadata)
    }

    @Test("a model with no tensors keeps its metadata, and an empty model reads back empty")
    func emptyModels() throws {
        let (withMetadata, metadata) = try Self.roundTrip(NamedTensors(), metadata: ["k": "v"])
        #expect(withMetadata.count == 0)
        #expect(metadata == ["k": "v"])
        let (nothing, noMetadata) = try Self.roundTrip(NamedTensors(), metadata: [:])
        #expect(nothing.count == 0)
        #expect(noMetadata.isEmpty)
    }

    @Test("zero-element tensors at one offset come back in name order")
    func emptyTensorsShareAnOffset() throws {
        let tensors = NamedTensors([
            ("w", Tensor([1])), ("zeta", Tensor(shape: [0], scalars: [])),
            ("alpha", Tensor(shape: [0, 2], scalars: [])), ("b", Tensor([2])),
        ])
        let (read, _) = try Self.roundTrip(tensors, metadata: [:])
        #expect(read.names == ["w", "alpha", "zeta", "b"])
    }

    @Test("encode and decode give the bytes that write and read use")
    func inMemoryMatchesFile() throws {
        let tensors = NamedTensors([("dense0.weight", Tensor(rows: [[1, 2], [3, 4]])), ("dense0.bias", Tensor([5, 6]))])
        try Self.withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("model.safetensors")
            try SafetensorsFile.write(tensors, metadata: ["round": "3"], to: url)
            let encoded = try SafetensorsFile.encode(tensors, metadata: ["round": "3"])
            #expect(try Data(contentsOf: url) == encoded)
            let decoded = try SafetensorsFile.decode(encoded)
            #expect(decoded.tensors == tensors)
            #expect(decoded.metadata == ["round": "3"])
        }
    }

    @Test("writing over a model replaces it whole and leaves no temporary file behind")
    func atomicReplace() throws {
        try Self.withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("global.safetensors")
            try SafetensorsFile.write(NamedTensors([("w", Tensor(shape: [1000], repeating: 1))]), to: url)
            let second = NamedTensors([("w", Tensor([7, 8, 9]))])
            try SafetensorsFile.write(second, metadata: ["round": "2"], to: url)
            let (read, metadata) = try SafetensorsFile.read(from: url)
            #expect(read == second)
            #expect(metadata == ["round": "2"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["global.safetensors"])
        }
    }

    @Test("a tensor named __metadata__ is refused, naming the file")
    func reservedName() throws {
        try Self.withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("model.safetensors")
            let error = try #require(throws: ModelFileError.self) {
                try SafetensorsFile.write(NamedTensors([("__metadata__", Tensor([1]))]), to: url)
            }
            #expect(error.code == .invalidTensorName)
            #expect(error.message.hasPrefix(url.path + ": "))
            #expect(!FileManager.default.fileExists(atPath: url.path))
        }
    }

    @Test("file system failures name the file: missing directory, missing file")
    func fileSystemFailures() throws {
        try Self.withTemporaryDirectory { directory in
            let target = directory.appendingPathComponent("no/such/dir/model.safetensors")
            let writeError = try #require(throws: ModelFileError.self) {
                try SafetensorsFile.write(NamedTensors([("w", Tensor([1]))]), to: target)
            }
            #expect(writeError.code == .unwritableFile)
            #expect(writeError.message.hasPrefix(target.path + ": "))

            let missing = directory.appendingPathComponent("missing.safetensors")
            let readError = try #require(throws: ModelFileError.self) { try SafetensorsFile.read(from: missing) }
            #expect(readError.code == .unreadableFile)
            #expect(readError.message.hasPrefix(missing.path + ": "))
        }
    }

    // MARK: Byte layout

    @Test("a one-tensor file matches the spec byte for byte")
    func tinyFileBytes() throws {
        let bytes = try SafetensorsFile.encode(NamedTensors([("w", Tensor([1.0, -2.0]))]), metadata: ["k": "v"])
        let header = #"{"__metadata__":{"k":"v"},"w":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}"#
        #expect(header.utf8.count == 79)
        let expected: [UInt8] = [80, 0, 0, 0, 0, 0, 0, 0]  // N = 79 + 1 space of padding
            + Array(header.utf8) + [0x20]
            + [0x00, 0x00, 0x80, 0x3F]  // 1.0f, little-endian
            + [0x00, 0x00, 0x00, 0xC0]  // -2.0f
        #expect(Array(bytes) == expected)
    }

    @Test("header keys are sorted, the buffer follows the set's order, padding is spaces")
    func twoTensorLayout() throws {
        let tensors = NamedTensors([("b", Tensor(shape: [], scalars: [0.5])), ("a", Tensor(shape: [0], scalars: []))])
        let bytes = Array(try SafetensorsFile.encode(tensors))
        let header = #"{"a":{"data_offsets":[4,4],"dtype":"F32","shape":[0]},"#
            + #""b":{"data_offsets":[0,4],"dtype":"F32","shape":[]}}"#
        #expect(header.utf8.count == 106)
        let expected: [UInt8] = [112, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8)
            + Array(repeating: 0x20, count: 6) + [0x00, 0x00, 0x00, 0x3F]
        #expect(bytes == expected)
    }

    @Test("an empty model is the header {} padded to 8 bytes and nothing else")
    func emptyModelBytes() throws {
        let bytes = Array(try SafetensorsFile.encode(NamedTensors()))
        #expect(bytes == [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
    }

    @Test("the header length is a multiple of 8 for every name length, padded only with spaces")
    func headerAlignment() throws {
        for length in 1...24 {
            let name = String(repeating: "x", count: length)
            let bytes = Array(try SafetensorsFile.encode(NamedTensors([(name, Tensor([3]))])))
            let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
            #expect(bytes[2..<8].allSatisfy { $0 == 0 })
            #expect(headerLength % 8 == 0)
            #expect(bytes.count == 8 + headerLength + 4)
            let header = bytes[8..<(8 + headerLength)]
            let jsonEnd = try #require(header.lastIndex(of: UInt8(ascii: "}")))
            #expect(header[(jsonEnd + 1)...].allSatisfy { $0 == 0x20 })
            #expect((8 + headerLength) - (jsonEnd + 1) < 8)
        }
    }
}

// MARK: Helpers

extension SafetensorsTests {
    /// Runs `body` with a fresh temporary directory, removed afterwards.
    static func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("cohort-safetensors-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    /// Writes to a file in a temporary directory and reads it back.
    static func roundTrip(
        _ tensors: NamedTensors, metadata: [String: String]
    ) throws -> (tensors: NamedTensors, metadata: [String: String]) {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("model.safetensors")
            try SafetensorsFile.write(tensors, metadata: metadata, to: url)
            return try SafetensorsFile.read(from: url)
        }
    }

    /// Every scalar's bit pattern by tensor name: equality that NaN and -0 cannot fool.
    static func bits(_ tensors: NamedTensors) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: zip(tensors.names, tensors.tensors.map { $0.scalars.map(\.bitPattern) }))
    }

    /// A file made by hand: the 8-byte length (the header's own unless `declaredLength`
    /// says otherwise), the header bytes as given (no padding), then `data`.
    static func rawFile(header: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        var bytes = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(header.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        bytes.append(contentsOf: data)
        return bytes
    }

    /// `rawFile` with the header given as text.
    static func rawFile(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        rawFile(header: Array(header.utf8), data: data, declaredLength: declaredLength)
    }
}
