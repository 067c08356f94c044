import CXNNPACK

/// XNNPACK's status codes become ``InferenceError``s here, in one place; the thread pool, the
/// operators (``QuantizedConvolution``) and the subgraph runtimes (``XNNPACKSubgraph``) are
/// released with their owners.
enum XNNPACK {
    static func check(_ status: xnn_status, _ call: String) throws(InferenceError) {
        guard status == xnn_status_success else { throw InferenceError.xnnpack(call, status: status.rawValue) }
    }

    static func initialize() throws(InferenceError) {
        try check(xnn_initialize(nil), "xnn_initialize")
    }
}

/// A pthreadpool of `threads` workers (nil when one thread: XNNPACK then runs on the caller).
final class ThreadPool {
    let pool: pthreadpool_t?

    init(threads: Int) {
        pool = threads > 1 ? pthreadpool_create(threads) : nil
    }

    deinit {
        if let pool { pthreadpool_destroy(pool) }
    }
}
