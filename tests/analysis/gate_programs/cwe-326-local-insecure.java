import java.security.*;

public class KeyGen {
    public KeyPairGenerator getKeyPairGen() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("DSA");
        int keySize = 512;
        keyPairGen.initialize(keySize);
        return keyPairGen;
    }
}
