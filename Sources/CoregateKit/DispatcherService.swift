import CoregateDelivery
import ServiceLifecycle

/// The queue's life in the service group: on SIGTERM it stops claiming, lets running handlers
/// finish within their timeouts, and leaves the rest queued for the next start.
struct DispatcherService: Service {
    let dispatcher: Dispatcher

    func run() async {
        await withGracefulShutdownHandler {
            await dispatcher.run()
        } onGracefulShutdown: {
            dispatcher.stop()
        }
    }
}
