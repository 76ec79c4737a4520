import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file descriptor of a hash-chained log (a site's audit log, the orchestrator's
/// `runs.log`): opened for appending (`O_APPEND`), locked with `flock` around each append so
/// that two writers (two processes, or two `AuditLog`s) never interleave, and synced after
/// every line.
struct AuditFile: ~Copyable {
    let descriptor: Int32
    let path: String
    /// What the file is, for messages: "audit log", "run log".
    let kind: String

    /// Opens (creating it, mode 0600) the file at `path` for appending and reading.
    init(path: String, kind: String = "audit log") throws(AuditLogError) {
        let existed = FileManager.default.fileExists(atPath: path)
        let descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw AuditLogError(.unreadableFile, path: path, "cannot open the \(kind): \(Self.lastError())")
        }
        self.descriptor = descriptor
        self.path = path
        self.kind = kind
        if !existed {
            // Make the new file's directory entry durable too.
            let folder = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
            if folder >= 0 {
                _ = fsync(folder)
                _ = close(folder)
            }
        }
    }

    deinit { _ = close(descriptor) }

    /// Runs `body` holding an exclusive lock on the file.
    func withLock<T>(_ body: () throws(AuditLogError) -> T) throws(AuditLogError) -> T {
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw AuditLogError(.unreadableFile, path: path, "cannot lock the \(kind): \(Self.lastError())")
            }
        }
        defer { _ = flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// The file's size in bytes.
    func size() throws(AuditLogError) -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw AuditLogError(.unreadableFile, path: path, "cannot stat the \(kind): \(Self.lastError())")
        }
        return Int(status.st_size)
    }

    /// Appends `bytes` at the end of the file and syncs them to disk.
    func append(_ bytes: [UInt8]) throws(AuditLogError) {
        switch bytes.withUnsafeBytes({ Self.writeAndSync($0, to: descriptor) }) {
        case .write?: throw AuditLogError(.writeFailed, path: path, "cannot write to the \(kind): \(Self.lastError())")
        case .sync?: throw AuditLogError(.writeFailed, path: path, "cannot sync the \(kind): \(Self.lastError())")
        case nil: break
        }
    }

    /// The step of `writeAndSync` that failed (errno tells why).
    enum FailedStep { case write, sync }

    /// Writes all of `bytes` at the descriptor's position (retrying short writes and EINTR),
    /// then fsyncs; nil on success, else the step that failed, with errno still set.
    static func writeAndSync(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> FailedStep? {
        guard writeAll(bytes, to: descriptor) else { return .write }
        return fsync(descriptor) == 0 ? nil : .sync
    }

    /// Writes all of `bytes` at the descriptor's position, retrying short writes and EINTR;
    /// false (errno set) when a write fails.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
        var written = 0
        while written < bytes.count {
            let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return false }
            written += result
        }
        return true
    }

    /// Cuts the file to its first `size` bytes and syncs it (dropping a torn last line).
    func truncate(to size: Int) throws(AuditLogError) {
        guard ftruncate(descriptor, off_t(size)) == 0, fsync(descriptor) == 0 else {
            throw AuditLogError(.writeFailed, path: path, "cannot truncate the \(kind): \(Self.lastError())")
        }
    }

    /// The whole file.
    func readAll() throws(AuditLogError) -> [UInt8] {
        let size = try size()
        return size == 0 ? [] : try read(at: 0, count: size)
    }

    /// The last line (without its newline) of a file of `size` bytes; nil for an empty file.
    ///
    /// - Throws: `.brokenLog` when the file does not end with a newline.
    func lastLine(size: Int) throws(AuditLogError) -> [UInt8]? {
        guard size > 0 else { return nil }
        guard try read(at: size - 1, count: 1) == [UInt8(ascii: "\n")] else {
            throw AuditLogError(
                .brokenLog, path: path,
                "the last line is incomplete (no newline at the end): a write that did not finish, or tampering; "
                    + "run `cohort audit verify` on it")
        }
        var line: [UInt8] = []
        var end = size - 1
        while end > 0 {
            let start = max(0, end - 4096)
            let chunk = try read(at: start, count: end - start)
            if let newline = chunk.lastIndex(of: UInt8(ascii: "\n")) {
                return Array(chunk[(newline + 1)...]) + line
            }
            line = chunk + line
            end = start
        }
        return line
    }

    private func read(at offset: Int, count: Int) throws(AuditLogError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(descriptor, base + done, count - done, off_t(offset + done))
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                throw AuditLogError(.unreadableFile, path: path, "cannot read the \(kind): \(Self.lastError())")
            }
            done += result
        }
        return bytes
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
