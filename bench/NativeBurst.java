import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import sun.misc.Unsafe;

/**
 * What happens to resident memory after a burst of native allocations such as the JIT compiler's arena (issue 13,
 * bench/results/2026-12-06-session35.md): mallocs 200 MB in 32 kB blocks on another thread, frees them, and prints
 * VmRSS before, at the peak and 12 s after. glibc keeps much of what was freed; with
 * {@code -XX:TrimNativeHeapInterval=10000} (bin/pgroute's default) the JVM gives it back.
 *
 * <pre>
 *   java bench/NativeBurst.java
 *   java -XX:TrimNativeHeapInterval=10000 bench/NativeBurst.java
 * </pre>
 */
public class NativeBurst {

    private static final int BLOCK = 32 * 1024;
    private static final int BLOCKS = 6400;

    public static void main(String[] args) throws Exception {
        Field field = Unsafe.class.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        Unsafe unsafe = (Unsafe) field.get(null);
        System.out.println("before          " + rss());
        long[] blocks = new long[BLOCKS];
        Thread burst = new Thread(() -> {
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = unsafe.allocateMemory(BLOCK);
                unsafe.setMemory(blocks[i], BLOCK, (byte) 1);
            }
        });
        burst.start();
        burst.join();
        System.out.println("peak            " + rss());
        for (long block : blocks) {
            unsafe.freeMemory(block);
        }
        Thread.sleep(12_000);
        System.out.println("12 s after free " + rss());
    }

    private static String rss() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(line -> line.startsWith("VmRSS"))
                .findFirst().orElse("VmRSS: ?").replaceAll("\\s+", " ");
    }
}
