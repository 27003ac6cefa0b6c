package io.pgroute.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer while or before it ran (STYLE rule 11).
 *
 * <p>Registered for every test class through JUnit's extension auto-detection ({@code META-INF/services} and
 * {@code junit.jupiter.extensions.autodetection.enabled=true} in {@code junit-platform.properties}). Loading this
 * class installs a {@link ResourceLeakDetectorFactory} whose detectors record each leak report (instead of logging
 * it); this must happen before Netty creates its buffer leak detector, i.e. before the first buffer is
 * allocated in the JVM, which auto-detection guarantees (extensions are created before any test runs). After each
 * test class, garbage is collected and a buffer allocated (which is when Netty reports), and the class fails with
 * the leak records if there are any. Run with {@code -Dio.netty.leakDetection.level=paranoid} so every buffer is
 * tracked.
 */
public final class NettyLeakDetection implements AfterAllCallback {

    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static final AtomicBoolean BUFFER_DETECTOR_CREATED = new AtomicBoolean();
    private static final int GC_ROUNDS = 5;

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = collectLeaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty LEAK report(s) in or before "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }

    /**
     * Collects garbage, lets Netty report what leaked, and returns (and forgets) the reports so far.
     *
     * @throws AssertionError if the recording detector was installed too late to see buffer leaks
     */
    public static List<String> collectLeaks() {
        for (int i = 0; i < GC_ROUNDS; i++) {
            System.gc();
            System.runFinalization();
            sleepBriefly();
            triggerReporting();
        }
        if (!BUFFER_DETECTOR_CREATED.get()) {
            throw new AssertionError("NettyLeakDetection was installed after Netty created its buffer leak detector: "
                    + "a buffer was allocated before JUnit loaded the extension, so leaks cannot be seen");
        }
        List<String> result = new ArrayList<>();
        for (String each = LEAKS.poll(); each != null; each = LEAKS.poll()) {
            result.add(each);
        }
        return result;
    }

    private static void triggerReporting() {
        for (ByteBufAllocator each : List.of(ByteBufAllocator.DEFAULT, UnpooledByteBufAllocator.DEFAULT)) {
            ByteBuf buffer = each.buffer(1);
            buffer.release();
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for garbage collection", e);
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            if (ByteBuf.class.isAssignableFrom(resource)) {
                BUFFER_DETECTOR_CREATED.set(true);
            }
            return new RecordingDetector<>(resource, samplingInterval);
        }

        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                long maxActive) {
            return newResourceLeakDetector(resource, samplingInterval);
        }
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {

        RecordingDetector(Class<?> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected."
                    + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected "
                    + "(enable paranoid leak detection to see where it was accessed)");
        }
    }
}
