import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;

/**
 * The floor of any proxy built on Netty: a byte relay that opens one server connection per client and copies bytes
 * both ways, with Netty's native epoll transport, flushing once per read burst as pgroute does. No protocol
 * parsing, no pooling, no routing. Measuring pgbench through it, next to PgBouncer and pgroute, tells what Netty
 * itself costs per transaction and what pgroute's own work adds (bench/results/2026-11-30-floors.md).
 *
 * <pre>
 *   java -cp proxy/target/pgroute.jar bench/NettyRelay.java LISTEN_PORT SERVER_PORT EVENT_LOOPS
 * </pre>
 *
 * Listens on 127.0.0.1:LISTEN_PORT, relays to 127.0.0.1:SERVER_PORT; stop it with its pid.
 */
public final class NettyRelay {

    public static void main(String[] args) throws Exception {
        int listen = Integer.parseInt(args[0]);
        int server = Integer.parseInt(args[1]);
        EventLoopGroup loops = new EpollEventLoopGroup(Integer.parseInt(args[2]));
        new ServerBootstrap().group(loops).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel client) {
                        client.pipeline().addLast(new ClientSide(client, server));
                    }
                })
                .bind("127.0.0.1", listen).sync();
        System.out.println("relaying 127.0.0.1:" + listen + " to 127.0.0.1:" + server);
        Thread.currentThread().join();
    }

    private static final class ClientSide extends ChannelInboundHandlerAdapter {
        private final Channel client;
        private final int server;
        private Channel upstream;

        ClientSide(Channel client, int server) {
            this.client = client;
            this.server = server;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            new Bootstrap().group(client.eventLoop()).channel(EpollSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext c, Object message) {
                            client.write(message, client.voidPromise());
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext c) {
                            client.flush();
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext c) {
                            client.close();
                        }
                    })
                    .connect("127.0.0.1", server)
                    .addListener((ChannelFutureListener) connected -> {
                        if (connected.isSuccess()) {
                            upstream = connected.channel();
                            client.config().setAutoRead(true);
                        } else {
                            client.close();
                        }
                    });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            upstream.write(message, upstream.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            upstream.flush();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (upstream != null) {
                upstream.close();
            }
        }
    }
}
