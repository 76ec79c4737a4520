import CohortLearn
import CohortTensor
import Foundation
import Testing

extension SafetensorsTests {
    /// Checks files against Hugging Face's `safetensors` package (the reference
    /// implementation) through `Python/safetensors_interop.py`. Installs `safetensors` and
    /// `numpy` with pip when they are missing; fails, never skips, when that is impossible.
    @Suite("Safetensors model files: interoperability with Python's safetensors", .serialized)
    struct Python {
        @Test("Python's safetensors reads the shapes, bits and metadata that Cohort writes")
        func pythonReadsCohort() throws {
            try PythonInterop.ready.get()
            var generator = SeededGenerator(seed: 99)
            let specialBits: [UInt32] = [0x7FC0_0000, 0x7F80_0000, 0xFF80_0000, 0x8000_0000, 0x0000_0001]
            let tensors = NamedTensors([
                ("dense0.weight", .randomNormal([5, 3], using: &generator)),
                ("dense0.bias", Tensor([0.5, -0.25, 0])),
                ("dense1.weight", .randomNormal([3, 1], using: &generator)),
                ("dense1.bias", Tensor([0.125])),
                ("temperature", Tensor(shape: [], scalars: [1.5])),
                ("special", Tensor(specialBits.map(Float.init(bitPattern:)))),
                ("empty", Tensor(shape: [0, 3], scalars: [])),
            ])
            let metadata = [
                "model": #"{"kind":"mlp","layers":[5,3,1]}"#,
                "site": "Hôpital Saint-Éloi ✓",
                "note": "line 1\nline \"2\"\t\\ bell \u{07} / end",
            ]
            try SafetensorsTests.withTemporaryDirectory { directory in
                let url = directory.appendingPathComponent("cohort.safetensors")
                try SafetensorsFile.write(tensors, metadata: metadata, to: url)
                let report = try PythonInterop.report(["read", url.path])
                #expect(report.metadata == metadata)
                #expect(Set(report.tensors.keys) == Set(tensors.names))
                for (name, tensor) in zip(tensors.names, tensors.tensors) {
                    let seen = try #require(report.tensors[name], "Python did not load \(name)")
                    #expect(seen.dtype == "float32", "\(name)")
                    #expect(seen.shape == tensor.shape, "\(name)")
                    #expect(seen.bits == tensor.scalars.map(\.bitPattern), "\(name)")
                    #expect(abs(seen.checksum - PythonInterop.checksum(tensor.scalars)) <= 1e-9, "\(name)")
                }
            }
        }

        @Test("Cohort reads the shapes, bits and metadata that Python's safetensors writes")
        func cohortReadsPython() throws {
            try PythonInterop.ready.get()
            try SafetensorsTests.withTemporaryDirectory { directory in
                let url = directory.appendingPathComponent("python.safetensors")
                let report = try PythonInterop.report(["write", url.path])
                let (tensors, metadata) = try SafetensorsFile.read(from: url)
                #expect(metadata == report.metadata)
                #expect(metadata["site"] == "Hôpital Saint-Éloi ✓")
                #expect(Set(tensors.names) == Set(report.tensors.keys))
                #expect(tensors.count == 5)
                for (name, written) in report.tensors {
                    let tensor = try #require(tensors[name], "Cohort did not read \(name)")
                    #expect(tensor.shape == written.shape, "\(name)")
                    #expect(tensor.scalars.map(\.bitPattern) == written.bits, "\(name)")
                    #expect(abs(PythonInterop.checksum(tensor.scalars) - written.checksum) <= 1e-9, "\(name)")
                }
                #expect(tensors["temperature"]?.shape == [])
                #expect(tensors["empty"]?.shape == [0, 3])
            }
        }

        @Test("a float64 file written by Python is refused as an unsupported dtype")
        func float64Refused() throws {
            try PythonInterop.ready.get()
            try SafetensorsTests.withTemporaryDirectory { directory in
                let url = directory.appendingPathComponent("f64.safetensors")
                _ = try PythonInterop.report(["write-f64", url.path])
                let error = try #require(throws: ModelFileError.self) { try SafetensorsFile.read(from: url) }
                #expect(error.code == .unsupportedDType)
                #expect(error.message.hasPrefix(url.path + ": "))
                #expect(error.message.contains(#""F64""#))
            }
        }
    }
}

extension SafetensorsTests {
    /// Runs `python3` with the interop script.
    enum PythonInterop {
        /// What the script prints: each tensor's dtype, shape, bits and checksum, and the metadata.
        struct Report: Decodable {
            struct TensorReport: Decodable {
                var dtype: String
                var shape: [Int]
                var bits: [UInt32]
                var checksum: Double
            }
            var tensors: [String: TensorReport]
            var metadata: [String: String]
        }

        /// Why Python cannot be used: the test fails with this message.
        struct SetupFailure: Error, CustomStringConvertible {
            var description: String
        }

        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Python/safetensors_interop.py")

        /// Success once `import safetensors, numpy` works, installing them with pip if needed.
        /// Evaluated once, however many tests ask.
        static let ready: Result<Void, SetupFailure> = prepare()

        private static func prepare() -> Result<Void, SetupFailure> {
            let probe = ["-c", "import safetensors, numpy"]
            do {
                if try run(probe, timeout: 120).status == 0 { return .success(()) }
                let install = try run(["-m", "pip", "install", "--quiet", "safetensors", "numpy"], timeout: 900)
                guard install.status == 0 else {
                    return .failure(SetupFailure(description:
                        "the interop tests need Python's safetensors and numpy, and "
                            + "`python3 -m pip install --quiet safetensors numpy` failed with status \(install.status):\n"
                            + install.standardError + install.standardOutput))
                }
                let again = try run(probe, timeout: 120)
                guard again.status == 0 else {
                    return .failure(SetupFailure(description:
                        "pip installed safetensors and numpy, but python3 still cannot import them:\n" + again.standardError))
                }
                return .success(())
            } catch {
                return .failure(SetupFailure(description: "cannot run python3 for the interop tests: \(error)"))
            }
        }

        /// Runs the script with `arguments` and decodes the JSON it prints.
        static func report(_ arguments: [String]) throws -> Report {
            let result = try run([script.path] + arguments, timeout: 120)
            guard result.status == 0 else {
                throw SetupFailure(description:
                    "python3 \(script.lastPathComponent) \(arguments.joined(separator: " ")) failed with status "
                        + "\(result.status):\n\(result.standardError)")
            }
            do {
                return try JSONDecoder().decode(Report.self, from: Data(result.standardOutput.utf8))
            } catch {
                throw SetupFailure(description: "cannot decode the script's output (\(error)):\n\(result.standardOutput)")
            }
        }

        /// The float64 sum of the finite values, as the script computes it.
        static func checksum(_ scalars: [Float]) -> Double {
            scalars.filter(\.isFinite).reduce(0) { $0 + Double($1) }
        }

        /// Runs `python3 arguments` (found on PATH), output to files so a chatty child never
        /// blocks on a full pipe; killed after `timeout` seconds.
        static func run(
            _ arguments: [String], timeout: TimeInterval
        ) throws -> (status: Int32, standardOutput: String, standardError: String) {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("cohort-python-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let outURL = directory.appendingPathComponent("stdout")
            let errURL = directory.appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
            let outHandle = try FileHandle(forWritingTo: outURL)
            let errHandle = try FileHandle(forWritingTo: errURL)
            defer { try? outHandle.close(); try? errHandle.close() }

            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"] + arguments
            process.standardOutput = outHandle
            process.standardError = errHandle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let status = process.terminationStatus
            let output = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
            var error = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            if status == 127 { error = "python3 was not found on PATH\n" + error }
            return (status, output, error)
        }
    }
}
