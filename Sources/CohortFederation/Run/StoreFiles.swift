import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The run store's file operations: durable whole-file writes (write a temporary file,
/// `fsync` it, `rename` it into place, `fsync` the folder), so a reader finds either the old
/// file or the new one, never a mix; and the lock that keeps a store to one process.
enum StoreFiles {
    /// Writes `bytes` to `url` durably and atomically. With `keepingPrevious`, the file
    /// being replaced stays at that URL (a hard link, made before the replacement).
    static func writeDurably(_ bytes: Data, to url: URL, keepingPrevious previous: URL? = nil) throws(RunStoreError) {
        try writeDurably(to: url, keepingPrevious: previous) { (file: FileWriter) throws(RunStoreError) in
            let failure = bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> RunStoreError? in
                do throws(RunStoreError) {
                    try file.write(buffer)
                    return nil
                } catch {
                    return error
                }
            }
            if let failure { throw failure }
        }
    }

    /// Writes what `contents` writes, in as many pieces as it likes, to `url` durably and
    /// atomically (a temporary file, synced, renamed into place, the folder synced): a large
    /// file needs no buffer of its own. With `keepingPrevious`, the file being replaced stays
    /// at that URL (a hard link, made before the replacement).
    static func writeDurably(
        to url: URL, keepingPrevious previous: URL? = nil, _ contents: (FileWriter) throws(RunStoreError) -> Void
    ) throws(RunStoreError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure(.writeFailed, temporary, "cannot create") }
        do {
            try contents(FileWriter(descriptor: descriptor, url: temporary))
        } catch {
            _ = close(descriptor)
            _ = unlink(temporary.path)
            throw error
        }
        guard fsync(descriptor) == 0 else {
            let error = failure(.writeFailed, temporary, "cannot sync")
            _ = close(descriptor)
            throw error
        }
        _ = close(descriptor)
        if let previous, FileManager.default.fileExists(atPath: url.path) {
            if unlink(previous.path) != 0 && errno != ENOENT { throw failure(.writeFailed, previous, "cannot remove") }
            guard link(url.path, previous.path) == 0 else { throw failure(.writeFailed, previous, "cannot link") }
        }
        guard rename(temporary.path, url.path) == 0 else { throw failure(.writeFailed, url, "cannot rename into place") }
        try syncFolder(of: url)
    }

    /// The file `writeDurably(to:keepingPrevious:_:)` is writing.
    struct FileWriter {
        fileprivate let descriptor: Int32
        fileprivate let url: URL

        /// Appends all of `bytes` (retrying short writes).
        func write(_ bytes: UnsafeRawBufferPointer) throws(RunStoreError) {
            guard AuditFile.writeAll(bytes, to: descriptor) else { throw StoreFiles.failure(.writeFailed, url, "cannot write") }
        }
    }

    /// Makes the folder holding `url` durable (its entries: a new or renamed file).
    static func syncFolder(of url: URL) throws(RunStoreError) {
        let folder = url.deletingLastPathComponent()
        let descriptor = open(folder.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(.writeFailed, folder, "cannot open") }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure(.writeFailed, folder, "cannot sync") }
    }

    /// The contents of `url`, or nil when there is no such file.
    static func read(_ url: URL) throws(RunStoreError) -> Data? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw RunStoreError(.unreadableFile, path: url.path, "cannot read: \(error.localizedDescription)")
        }
    }

    /// Creates `url` and its parents if needed.
    static func createFolder(_ url: URL) throws(RunStoreError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw RunStoreError(.writeFailed, path: url.path, "cannot create the folder: \(error.localizedDescription)")
        }
    }

    private static func failure(_ code: RunStoreError.Code, _ url: URL, _ what: String) -> RunStoreError {
        RunStoreError(code, path: url.path, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// An exclusive `flock` on a store's lock file, held while the store is open, so that two
/// orchestrators never write one store.
struct StoreLock: ~Copyable {
    private let descriptor: Int32

    /// Takes the lock on `url` (creating the file), without waiting.
    ///
    /// - Throws: `.locked` when another process (or another open store) holds it.
    init(_ url: URL) throws(RunStoreError) {
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw RunStoreError(.unreadableFile, path: url.path, "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let reason = errno == EWOULDBLOCK
                ? "the run store is open in another orchestrator (or another RunStore in this one)"
                : "cannot lock: \(String(cString: strerror(errno)))"
            _ = close(descriptor)
            throw RunStoreError(.locked, path: url.path, reason)
        }
        self.descriptor = descriptor
    }

    deinit { _ = close(descriptor) }
}
