import CoregateReplies
import ServiceLifecycle

/// The reply sender's life in the service group. It stops after the dispatcher, so actions that
/// the last handler runs stored are still tried; what stays unsent is sent after the next start.
struct ReplyService: Service {
    let sender: ReplySender

    func run() async {
        await withGracefulShutdownHandler {
            await sender.run()
        } onGracefulShutdown: {
            sender.stop()
        }
    }
}
