import java.security.*;

public class KeyGen {
    public KeyPairGenerator getKeyPairGen() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("RSA");
        keyPairGen.initialize(2048);
        return keyPairGen;
    }
}
