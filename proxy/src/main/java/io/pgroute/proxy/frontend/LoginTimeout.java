package io.pgroute.proxy.frontend;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.pgroute.proxy.logging.ClientAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection that has not authenticated within {@code limits.login_timeout}, as PostgreSQL's
 * {@code authentication_timeout} does, and as PostgreSQL without a word: it sends nothing to a client whose
 * authentication is in progress. Otherwise a connection that never sends a startup packet, or stops halfway through
 * SCRAM, holds a socket and its buffers for ever, and enough of them keep everyone else out (beyond
 * {@code limits.max_clients} + {@code limits.reserved_connections} open connections, logged in or not, new ones are
 * refused: ClientChannelInitializer).
 */
final class LoginTimeout {

    private static final Logger LOGGER = LoggerFactory.getLogger(LoginTimeout.class);
    private static final AttributeKey<ScheduledFuture<?>> TIMER = AttributeKey.valueOf("pgroute.loginTimeout");

    private LoginTimeout() {
    }

    /** Starts the clock for {@code channel}, a client connection that has just connected. */
    static void arm(Channel channel, Duration timeout) {
        ScheduledFuture<?> timer = channel.eventLoop().schedule(() -> {
            if (channel.isActive()) {
                LOGGER.info("closing connection from {}: not logged in within {} (limits.login_timeout)",
                        ClientAddress.of(channel), timeout);
                channel.close();
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        channel.attr(TIMER).set(timer);
        channel.closeFuture().addListener(DISARM);
    }

    /**
     * Cancels the clock of a connection that closes before it logs in. One listener for all: a lambda that held the
     * timer would keep it (and its task) for the life of every connection that did log in.
     */
    private static final io.netty.channel.ChannelFutureListener DISARM = closed -> disarm(closed.channel());

    /** Stops the clock: the client has authenticated. */
    static void disarm(Channel channel) {
        ScheduledFuture<?> timer = channel.attr(TIMER).getAndSet(null);
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
