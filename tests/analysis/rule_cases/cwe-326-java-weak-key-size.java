import java.security.*;

public class MyTestClass {
    public KeyPairGenerator getKeyPairGen() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("RSA");
        // ruleid: cwe-326-java-weak-key-size
        keyPairGen.initialize(1024);
        return keyPairGen;
    }

    public KeyPairGenerator getStrongKeyPairGen() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("RSA");
        // ok: cwe-326-java-weak-key-size
        keyPairGen.initialize(2048);
        return keyPairGen;
    }

    public KeyPairGenerator getEcKeyPairGen() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("EC");
        // ok: cwe-326-java-weak-key-size
        keyPairGen.initialize(256);
        return keyPairGen;
    }

    private static final int WEAK_SIZE = 1024;
    private static final int STRONG_SIZE = 4096;

    public KeyPairGenerator fromConstants() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("RSA");
        // ruleid: cwe-326-java-weak-key-size
        keyPairGen.initialize(WEAK_SIZE, new SecureRandom());
        // ok: cwe-326-java-weak-key-size
        keyPairGen.initialize(STRONG_SIZE);
        int size = 512;
        // ruleid: cwe-326-java-weak-key-size
        keyPairGen.initialize(size);
        int bits = 3072;
        // ok: cwe-326-java-weak-key-size
        keyPairGen.initialize(bits);
        return keyPairGen;
    }
}
