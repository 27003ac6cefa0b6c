package io.pgroute.proxy.backend;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.pgroute.config.NodeConfig;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.codec.FrameDecoder;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.codec.PgFrameEncoder;
import io.pgroute.protocol.startup.CancelRequest;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.pgroute.proxy.error.PgrouteException;
import io.pgroute.proxy.server.ExceptionLoggingHandler;
import io.pgroute.proxy.server.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Opens authenticated backend connections on a given event loop (the client's, so no thread hop), and sends
 * cancel requests to backends. Backend TLS as libpq's {@code sslmode}: {@code prefer} and {@code require} take any
 * certificate, {@code verify-ca} one signed by the database's {@code tls_ca} (else the JDK's trusted CAs), and
 * {@code verify-full} also checks that it names the host.
 */
public final class BackendConnector {

    private static final Logger LOGGER = LoggerFactory.getLogger(BackendConnector.class);
    private static final ExceptionLoggingHandler EXCEPTIONS = new ExceptionLoggingHandler(false);
    /** Frames from a backend can be as large as PostgreSQL allows (1 GiB). */
    private static final long MAX_BACKEND_FRAME = 1L << 30;

    private final Transport transport;
    private final Duration connectTimeout;
    private final SslContext sslContext;
    /** Verifying contexts, by CA file ("" for the JDK's trusted CAs). */
    private final Map<String, SslContext> verifying = new ConcurrentHashMap<>();
    /** Nodes whose servers sent no cancel key, so that each is logged at INFO once. */
    private final Set<String> keylessNodes = ConcurrentHashMap.newKeySet();

    public BackendConnector(Transport transport, Duration connectTimeout) {
        this.transport = transport;
        this.connectTimeout = connectTimeout;
        try {
            this.sslContext = SslContextBuilder.forClient()
                    .trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot build the backend TLS context", e);
        }
    }

    /**
     * Connects and authenticates; the future completes on {@code loop}. {@code pool.connect_timeout} bounds the whole
     * of it, as libpq's {@code connect_timeout} does: a server whose kernel accepts the connection but which never
     * answers the startup (a hung or stopped postmaster) fails the future with 08001 and the connection is closed.
     */
    public Future<BackendConnection> connect(EventLoop loop, BackendTarget target) {
        Promise<BackendConnection> promise = loop.newPromise();
        BackendStartupHandler startup = new BackendStartupHandler(target, promise);
        // never TLS on a Unix-domain socket: libpq does not ask there whatever its sslmode, PostgreSQL would say N
        boolean tls = target.tls() != BackendTarget.BackendTls.DISABLE && !NodeConfig.isSocketDirectory(target.host());
        SslContext context;
        try {
            context = !tls ? null : target.tls() == BackendTarget.BackendTls.VERIFY_CA
                    || target.tls() == BackendTarget.BackendTls.VERIFY_FULL ? verifying(target.tlsCa()) : sslContext;
        } catch (PgrouteException e) {
            promise.setFailure(e);
            return promise;
        }
        Bootstrap bootstrap;
        try {
            bootstrap = transport.connecting(loop, target.host());
        } catch (IllegalStateException e) {  // a socket directory without epoll (added by a reload)
            promise.setFailure(new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH, e.getMessage()));
            return promise;
        }
        bootstrap
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline pipeline = ch.pipeline();
                        if (tls) {
                            pipeline.addLast("tlsNegotiator", new BackendTlsNegotiator(context, target));
                        }
                        pipeline.addLast("frameDecoder", new FrameDecoder(MAX_BACKEND_FRAME, true, FrameDecoder.STREAM_ABOVE,
                                BackendType.DATA_ROW.code(), BackendType.COPY_DATA.code()));
                        pipeline.addLast("encoder", MessageEncoder.INSTANCE);
                        pipeline.addLast("frameEncoder", PgFrameEncoder.INSTANCE);
                        pipeline.addLast("startup", startup);
                        pipeline.addLast("exceptions", EXCEPTIONS);
                    }
                });
        ChannelFuture connect = bootstrap.connect(Transport.serverAddress(target.host(), target.port()));
        ScheduledFuture<?> deadline = loop.schedule(() -> {
            if (promise.tryFailure(new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH, "backend "
                    + target.node() + " did not complete the connection startup within pool.connect_timeout ("
                    + connectTimeout.toMillis() + " ms)"))) {
                connect.channel().close();
            }
        }, connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        promise.addListener(done -> deadline.cancel(false));
        connect.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                promise.tryFailure(connectFailure(target, done.cause()));
            } else if (!tls) {
                done.channel().pipeline().fireUserEventTriggered(BackendTlsNegotiator.READY);
            }
        });
        return promise;
    }

    /** The context that trusts the CAs of {@code caFile} (null: the JDK's), built at its first use. */
    private SslContext verifying(String caFile) {
        String key = caFile == null ? "" : caFile;
        SslContext found = verifying.get(key);
        if (found != null) {
            return found;
        }
        try {
            SslContextBuilder builder = SslContextBuilder.forClient();
            if (caFile != null) {
                builder.trustManager(new java.io.File(caFile));
            }
            SslContext built = builder.build();
            SslContext raced = verifying.putIfAbsent(key, built);
            return raced != null ? raced : built;
        } catch (SSLException | IllegalArgumentException e) {
            throw new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH, "cannot use tls_ca " + caFile + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        }
    }

    /**
     * Why a server's socket could not be connected to, said as libpq says it ({@code connection to server on socket
     * "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory}), with 08001; a TCP failure as it came.
     */
    private static Throwable connectFailure(BackendTarget target, Throwable cause) {
        if (!NodeConfig.isSocketDirectory(target.host())) {
            return cause;
        }
        String reason = cause instanceof java.io.FileNotFoundException ? "No such file or directory"
                : cause.getMessage() != null ? cause.getMessage().replaceFirst("^connect\\(\\.\\.\\) failed: ", "")
                : cause.getClass().getSimpleName();
        return new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH, "connection to server on socket \""
                + NodeConfig.socketPath(target.host(), target.port()) + "\" failed: " + reason);
    }

    /**
     * Sends a CancelRequest for {@code backend}'s running query. The connection is marked as being cancelled until
     * the server has processed the request (it closes the cancel connection) or 5 s passed, so the pool cannot
     * hand it to another client whose query the late cancel would hit. A connection whose server sent no cancel key
     * cannot be cancelled: nothing is sent, and the query runs to its end.
     */
    public void cancel(EventLoop loop, BackendConnection backend) {
        BackendTarget target = backend.target();
        if (!backend.cancellable()) {
            if (keylessNodes.add(target.node())) {
                LOGGER.info("backend={} sent no BackendKeyData (behind another pooler, or not PostgreSQL itself): "
                        + "its queries cannot be cancelled, cancels are ignored", backend.label());
            } else {
                LOGGER.debug("cancel ignored: backend={} has no cancel key", backend.label());
            }
            return;
        }
        backend.cancelStarted();
        sendCancel(loop, target.host(), target.port(), new CancelRequest(backend.processId(), backend.secretKey()),
                backend::cancelFinished);
    }

    /**
     * Sends {@code cancel} to {@code host:port} on a new connection (a server, or another pgroute instance that owns
     * the key); {@code finished} runs once the other side closed it, it could not be opened, or 5 s passed.
     */
    public void sendCancel(EventLoop loop, String host, int port, CancelRequest cancel, Runnable finished) {
        ChannelFuture connecting = transport.connecting(loop, host)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(Transport.serverAddress(host, port));
        connecting.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                finished.run();
                return;
            }
            Channel channel = done.channel();
            channel.closeFuture().addListener(closed -> finished.run());
            channel.writeAndFlush(MessageEncoder.encode(channel.alloc(), cancel));
            loop.schedule(() -> channel.close(), 5, TimeUnit.SECONDS);
        });
    }
}
