package io.pgroute.proxy.frontend;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.pgroute.config.TlsMode;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.backend.NegotiateProtocolVersion;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.codec.FrameDecoder;
import io.pgroute.protocol.codec.StartupPacketDecoder;
import io.pgroute.protocol.startup.CancelRequest;
import io.pgroute.protocol.startup.GSSENCRequest;
import io.pgroute.protocol.startup.SSLRequest;
import io.pgroute.protocol.startup.StartupMessage;
import io.pgroute.protocol.startup.StartupPacket;
import io.pgroute.proxy.logging.ClientAddress;
import io.pgroute.proxy.server.ProxyContext;
import io.pgroute.proxy.session.ClientSession;
import io.pgroute.proxy.session.SharedValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The startup phase of a client connection, before authentication: SSLRequest (answer 'S' and start TLS, or 'N'),
 * direct TLS (PostgreSQL 17 {@code sslnegotiation=direct}, ALPN "postgresql" required), GSSENCRequest ('N'),
 * CancelRequest (forwarded, then close), and the StartupMessage with protocol version negotiation. On a valid
 * StartupMessage it hands the connection to a {@link ClientAuthenticator} and switches to typed framing.
 *
 * <pre>
 *   NEGOTIATING --SSLRequest--> 'S' + TLS handshake --> NEGOTIATING (TLS on; no second SSLRequest)
 *   NEGOTIATING --GSSENCRequest--> 'N' --> NEGOTIATING
 *   NEGOTIATING --CancelRequest--> forward, close
 *   NEGOTIATING --StartupMessage--> [NegotiateProtocolVersion] --> ClientAuthenticator
 * </pre>
 */
public final class ClientStartupHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOGGER = LoggerFactory.getLogger(ClientStartupHandler.class);
    private static final int LATEST_MINOR = 2;
    /** The largest message body before authentication: PostgreSQL's limit for a password or a SASL token. */
    static final int MAX_AUTH_MESSAGE_BYTES = 65_535;
    private static final String ALPN_POSTGRESQL = "postgresql";

    private final ProxyContext context;
    private boolean sslRequested;
    private boolean gssRefused;

    public ClientStartupHandler(ProxyContext context) {
        this.context = context;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        LoginTimeout.arm(ctx.channel(), context.config().limits().loginTimeout());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof StartupPacket packet)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (packet instanceof SSLRequest) {
            onSslRequest(ctx);
        } else if (packet instanceof GSSENCRequest) {
            onGssEncRequest(ctx);
        } else if (packet instanceof CancelRequest cancel) {
            onCancelRequest(ctx, cancel);
        } else if (packet instanceof StartupMessage startup) {
            onStartupMessage(ctx, startup);
        }
    }

    private boolean onTls(ChannelHandlerContext ctx) {
        return ctx.pipeline().get(SslHandler.class) != null;
    }

    /**
     * Whether the client came through pgroute's Unix-domain socket: a local process, never encrypted (PostgreSQL
     * answers its SSLRequest with N, and libpq does not ask there), and {@code tls.mode: require} does not apply,
     * as PostgreSQL's {@code hostssl} lines do not to its {@code local} ones.
     */
    private static boolean onUnixSocket(ChannelHandlerContext ctx) {
        return ctx.channel() instanceof io.netty.channel.unix.DomainSocketChannel;
    }

    private void onSslRequest(ChannelHandlerContext ctx) {
        if (onTls(ctx) || sslRequested) {
            refuse(ctx, ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION, "SSLRequest received on an encrypted connection"));
            return;
        }
        StartupPacketDecoder decoder = ctx.pipeline().get(StartupPacketDecoder.class);
        if (decoder != null && decoder.actualReadableBytes() > 0) {
            // bytes sent after SSLRequest before the TLS handshake could be injected by a third party (CVE-2021-23222)
            LOGGER.info("closing connection from {}: data received after SSLRequest", ClientAddress.of(ctx.channel()));
            ctx.close();
            return;
        }
        if (!context.tlsEnabled() || onUnixSocket(ctx)) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'N'}));
            return;
        }
        sslRequested = true;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'S'}));
        SslHandler ssl = context.sslContext().newHandler(ctx.alloc());
        ctx.pipeline().addFirst("tls", ssl);
    }

    private void onGssEncRequest(ChannelHandlerContext ctx) {
        if (onTls(ctx) || gssRefused) {
            refuse(ctx, ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION,
                    "GSSENCRequest received on an encrypted connection"));
            return;
        }
        gssRefused = true;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'N'}));
    }

    private void onCancelRequest(ChannelHandlerContext ctx, CancelRequest cancel) {
        ClientSession session = context.cancelKeys().find(cancel.processId(), cancel.secretKey());
        if (session != null) {
            session.eventLoop().execute(session::onCancelRequest);
        } else if (!forwardToPeer(ctx, cancel)) {
            LOGGER.debug("cancel request with an unknown key from {}", ClientAddress.of(ctx.channel()));
        }
        ctx.close();
    }

    /**
     * A cancel for a session of another pgroute instance behind the same load balancer (its id is in the key) goes
     * on to that instance (COMPAT X4). False when the key names no other configured instance.
     */
    private boolean forwardToPeer(ChannelHandlerContext ctx, CancelRequest cancel) {
        io.pgroute.config.PeersConfig peers = context.config().peers();
        int owner = io.pgroute.proxy.session.CancelRegistry.instanceOf(cancel.processId());
        if (!peers.enabled() || owner == peers.id()) {
            return false;
        }
        java.util.Optional<io.pgroute.config.PeersConfig.Peer> peer = peers.member(owner);
        if (peer.isEmpty()) {
            return false;
        }
        LOGGER.debug("cancel request for peer {} forwarded to {}:{}", owner, peer.get().host(), peer.get().port());
        context.sessions().forwardCancel(ctx.channel().eventLoop(), peer.get().host(), peer.get().port(), cancel);
        return true;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                LOGGER.info("TLS handshake with {} failed: {}", ClientAddress.of(ctx.channel()),
                        done.cause().toString());
                ctx.close();
                return;
            }
            if (!sslRequested) {
                // direct TLS: ALPN must say postgresql, as PostgreSQL 17 requires
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                if (ssl == null || !ALPN_POSTGRESQL.equals(ssl.applicationProtocol())) {
                    LOGGER.info("closing direct TLS connection from {} without ALPN \"postgresql\"",
                            ClientAddress.of(ctx.channel()));
                    ctx.close();
                    return;
                }
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * Startup parameter names and values, one instance each for all the clients that send them (DateStyle ISO,
     * client_encoding UTF8, the driver's application_name…): a session keeps its parameters for its life.
     */
    private static final SharedValues<String> SHARED = new SharedValues<>(1 << 20, text -> 64 + text.length());

    private void onStartupMessage(ChannelHandlerContext ctx, StartupMessage startup) {
        if (startup.majorVersion() != 3) {
            refuse(ctx, ErrorResponse.fatal(SqlState.FEATURE_NOT_SUPPORTED, "unsupported frontend protocol "
                    + startup.majorVersion() + "." + startup.minorVersion() + ": server supports 3.0 to 3."
                    + LATEST_MINOR));
            return;
        }
        if (context.config().tls().mode() == TlsMode.REQUIRE && !onTls(ctx) && !onUnixSocket(ctx)) {
            refuse(ctx, ErrorResponse.fatal(SqlState.INVALID_AUTHORIZATION,
                    "pgroute requires an SSL connection (tls.mode: require)"));
            return;
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        List<String> unknownOptions = new ArrayList<>();
        startup.parameters().forEach((key, value) -> {
            if (key.startsWith("_pq_.")) {
                unknownOptions.add(key);
            } else {
                parameters.put(SHARED.of(key), SHARED.of(value));
            }
        });
        String user = parameters.get("user");
        if (user == null || user.isEmpty()) {
            refuse(ctx, ErrorResponse.fatal(SqlState.INVALID_AUTHORIZATION,
                    "no PostgreSQL user name specified in startup packet"));
            return;
        }
        String replication = parameters.get("replication");
        Boolean walsender = replication == null ? Boolean.FALSE : replicationRequested(replication);
        if (walsender == null) {
            refuse(ctx, ErrorResponse.fatal(SqlState.INVALID_PARAMETER_VALUE,
                    "invalid value for parameter \"replication\": \"" + replication + "\"")
                    .withHint("Valid values are: \"false\", 0, \"true\", 1, \"database\"."));
            return;
        }
        if (walsender) {
            refuse(ctx, ErrorResponse.fatal(SqlState.FEATURE_NOT_SUPPORTED,
                    "pgroute does not proxy replication connections; connect to the primary directly"));
            return;
        }
        parameters.putIfAbsent("database", user);
        int minor = Math.min(startup.minorVersion(), LATEST_MINOR);
        if (startup.minorVersion() > LATEST_MINOR || !unknownOptions.isEmpty()) {
            ctx.write(new NegotiateProtocolVersion(minor, unknownOptions));
        }
        handOver(ctx, parameters, minor);
    }

    /**
     * Whether the startup parameter {@code replication} asks for a walsender, read as PostgreSQL reads it:
     * {@code database}, or a boolean in any case ({@code true}, {@code yes} or a prefix of either, {@code on}, {@code 1};
     * {@code false}, {@code no} or a prefix, {@code off}, {@code 0}: {@code parse_bool}). Null when it is neither,
     * which PostgreSQL refuses with 22023.
     */
    static Boolean replicationRequested(String value) {
        if ("database".equals(value)) {
            return true;
        }
        String word = value.toLowerCase(java.util.Locale.ROOT);
        if (word.isEmpty()) {
            return null;
        }
        if ("true".startsWith(word) || "yes".startsWith(word) || "on".equals(word) || "1".equals(word)) {
            return true;
        }
        if ("false".startsWith(word) || "no".startsWith(word) || "off".equals(word) || "0".equals(word)) {
            return false;
        }
        return null;
    }

    private void handOver(ChannelHandlerContext ctx, Map<String, String> parameters, int minor) {
        // until the client has authenticated, a message is at most what PostgreSQL accepts for a password or a
        // SASL token (COMPAT L3); ClientAuthenticator raises it to limits.max_frame_bytes on success, which for a
        // trusted user is when it is added: so the decoder comes first
        // a Bind above FrameDecoder.STREAM_ABOVE (a big parameter) goes on in pieces as it arrives (COMPAT L1)
        ctx.pipeline().addAfter("startupDecoder", "frameDecoder",
                new FrameDecoder(Math.min(MAX_AUTH_MESSAGE_BYTES, context.config().limits().maxFrameBytes()), false,
                        FrameDecoder.STREAM_ABOVE, FrontendType.BIND.code()));
        ClientAuthenticator authenticator = new ClientAuthenticator(context, parameters, minor);
        ctx.pipeline().replace(this, "auth", authenticator);
        ctx.pipeline().remove("startupDecoder");
    }

    private void refuse(ChannelHandlerContext ctx, ErrorResponse error) {
        LOGGER.info("refusing connection from {}: {} {}", ClientAddress.of(ctx.channel()), error.sqlState(),
                error.message());
        ctx.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause.getCause() instanceof ProtocolException ? cause.getCause() : cause;
        if (root instanceof ProtocolException protocol) {
            refuse(ctx, ErrorResponse.fatal(protocol.sqlState(), protocol.getMessage()));
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }
}
