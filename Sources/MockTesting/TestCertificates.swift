import MockServer
import NIOSSL

/// Certificates for tests, valid until 2036: a CA, a server certificate for `localhost` and a
/// client certificate, all signed by the CA. The same files as `Tests/Integration/certs/` (a unit
/// test keeps them equal). For tests only: the private keys are public.
public enum TestCertificates {
    /// PEM: the test CA (`CN=mysql-server-mock test CA`), which signed the others.
    public static let caCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIDiTCCAnGgAwIBAgIUZoNd8hohgo3lIzJWm7Yt/7vWZiowDQYJKoZIhvcNAQEL
        BQAwVDELMAkGA1UEBhMCREUxDzANBgNVBAgMBkJlcmxpbjEQMA4GA1UECgwHTW9j
        ayBDQTEiMCAGA1UEAwwZbXlzcWwtc2VydmVyLW1vY2sgdGVzdCBDQTAeFw0yNjEx
        MjcwNzE1MTBaFw0zNjExMjQwNzE1MTBaMFQxCzAJBgNVBAYTAkRFMQ8wDQYDVQQI
        DAZCZXJsaW4xEDAOBgNVBAoMB01vY2sgQ0ExIjAgBgNVBAMMGW15c3FsLXNlcnZl
        ci1tb2NrIHRlc3QgQ0EwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCn
        LYHA7EKlG6dfSpdymN3d5YNmv8yYF85lKZU5cc3wWrz9WJGXZuzc5Fpc//Ihd+PQ
        uJhqXLoLn65pLGtksqhsWsQ2zmLVXfwsckvO7GndPPyhFpVDj5dYBov6hF6mbgMy
        kDiNMC/8C7AbSOxv2La8RlkZdNZMKYt46R7Dp2437Y3ilVMrLtnTU/O815OP9XH1
        TgR0wiUDxX7G7T6XNC3GaCMu/5y1sBnNMJObQI6OckrKJmvAX/kp2eQ9zEFBdWYw
        YIZauk5v7q2KSoNgLXWj0VElrvmQIxEpjWeZ7qIXwjwkIC7pJpA4khUHqIjwT7ve
        t5WJl/zb98cRKfrUr47fAgMBAAGjUzBRMB0GA1UdDgQWBBSGsxiQXNhJWo5ttevP
        KVRvwk2zPjAfBgNVHSMEGDAWgBSGsxiQXNhJWo5ttevPKVRvwk2zPjAPBgNVHRMB
        Af8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQBNwVeaeQPK8VI8NczlhXYEDkL0
        9vNHmY/88gN224iceY7wao1lrlaQFjMPT+AinmddDPNXbfw7s/v8SkfREgeX1qY8
        o1qYDda4HfO21j/o1Sw1Elq9jihwvaJ36kj88I7elyLbvQb9XWDh2VawQI2eLYRM
        3DEkNB+UUDW4wRLFXuGwpQuHkl8vrKJp2ecjjBrlJXezH6jmSPzHovzkgZ6oVOew
        //EFPxZLY7bNbFX4zwf9CEzjvayYGREIwO5yYuyVkvNBCF2L16kPEOdzgr1oBNVP
        9+WJ+BTu1WMxgwGU29C+HQY6Ck+BsLm0KlGFU+kLCOMcYfqW3z60jfedpmIP
        -----END CERTIFICATE-----
        """

    /// PEM: the server certificate (`CN=localhost`).
    public static let serverCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIDojCCAoqgAwIBAgICEAAwDQYJKoZIhvcNAQELBQAwVDELMAkGA1UEBhMCREUx
        DzANBgNVBAgMBkJlcmxpbjEQMA4GA1UECgwHTW9jayBDQTEiMCAGA1UEAwwZbXlz
        cWwtc2VydmVyLW1vY2sgdGVzdCBDQTAeFw0yNjExMjcwNzE1MTFaFw0zNjExMjQw
        NzE1MTFaMEUxCzAJBgNVBAYTAkRFMQ8wDQYDVQQIDAZCZXJsaW4xETAPBgNVBAoM
        CE1vY2sgT3JnMRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEBAQUA
        A4IBDwAwggEKAoIBAQC+DZzVsqkZmiPRThJeAzEFabylR7MAHYpyBAir6BkaOrR+
        nFatqHVRKLm7avAsdcrHYArYVLZxpbs1xBQkfXFdfOZYSnakWfCMWQPvqqsU/Ilu
        i1l0IV0MrAEQaF9oDz9pWR+7ZuI/6M64VosTYlrwkdphLddAoi/dodFUuQgpH2UY
        cEB3R0MbsaKs1Tt+8o62NbedPydCHywdZyMPlUjn1KM0uAbp7qQ1DSj3henVtkh9
        Q/86JYo8IreUYizo/hzYQhcfYnqKkS3VVPgIIy06DhSPi/KLHKuCmiu6i2QQBbFz
        KHAwMASKmnbUoiaFYrk2u1GHKZRFt0mqoy/EdrizAgMBAAGjgYwwgYkwGgYDVR0R
        BBMwEYcEfwAAAYIJbG9jYWxob3N0MAkGA1UdEwQCMAAwCwYDVR0PBAQDAgWgMBMG
        A1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBRpNPADMbHvzOfWzXexoyyZMmGK
        sDAfBgNVHSMEGDAWgBSGsxiQXNhJWo5ttevPKVRvwk2zPjANBgkqhkiG9w0BAQsF
        AAOCAQEAKTBwAjHK+OFoFs1/DhlyZiIZmh9KUIwLXkxUKYDD6Xeh5/9zQ3qudVru
        XsYJNRwHZN+CKaIu4HbY5ew5NNz27v+08C/O3PpKkkAz8noBpa4iGjIlNf4eLlkW
        H9V+NCg3A2SR5c9DWUNFCkv0UlM5euo8XG4TOGJj5uEjwqIK5fDsddoDg6+LPUwV
        6spRL71486+A7oCNL/I2QK7pBSJsB1RqgivyDUvFKkXFLsDtpvOk6m3g2Di0Tnkk
        GovJus16rOFKw+nEZg42p6U+xuf6td4tmQ1TVEMuvlxUai1P91STqQ27uqzqxSz3
        MfYXPe2Q09q6+UdYZllxD+KVxLbQng==
        -----END CERTIFICATE-----
        """

    /// PEM: the server certificate's private key.
    public static let serverKey = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC+DZzVsqkZmiPR
        ThJeAzEFabylR7MAHYpyBAir6BkaOrR+nFatqHVRKLm7avAsdcrHYArYVLZxpbs1
        xBQkfXFdfOZYSnakWfCMWQPvqqsU/Ilui1l0IV0MrAEQaF9oDz9pWR+7ZuI/6M64
        VosTYlrwkdphLddAoi/dodFUuQgpH2UYcEB3R0MbsaKs1Tt+8o62NbedPydCHywd
        ZyMPlUjn1KM0uAbp7qQ1DSj3henVtkh9Q/86JYo8IreUYizo/hzYQhcfYnqKkS3V
        VPgIIy06DhSPi/KLHKuCmiu6i2QQBbFzKHAwMASKmnbUoiaFYrk2u1GHKZRFt0mq
        oy/EdrizAgMBAAECggEAERiTYf72ZCjjJ1a6oz262qeAAm2+zET1nIgzwxb+FXrW
        nEilXKC5nbZB1hPQ2aCZv/6Qay5cbQ1N/l1BiWWS9yhr/63PGopDb7SQL8gUwXuh
        qmtOZC2eIhL7U4XRoA0DFMLUiAL0v9ZjrHeO5VlkudA89zhS7R79ARbBCFO1FR6O
        O68i2fvFbqkg2Ak/rlR84vQd1mwxgdIaS/JrtHntX35pve4pq+a7SM9Y3Z2nydqn
        tK1QFW49CVEeGXvkYC1DFrd6LLGdD2qsf/2740jo+ANkRN8UQUXqochn7wWZmifU
        4VsO3cVZoVDVVxXh9jQF7o66C362ioc7wgCxNsXeKQKBgQDm7JeZtGx4AsKrqVxy
        OhW5hOWTZgg6Zihpfx5gEFJtJqVjDLk0a3ejLDWP1hnbsO8+ge95AtfnLlVQdsjx
        Tq/31dXbefmytzEkyvfFKg8dQq30h/2jovdqe9AYdDHPfcwwIBf/Hf/CZ9JJXQJO
        7Rh0RO23gdqCKfK+VnSvRocEewKBgQDSsNtMex3Uz1/LXEv66sRZcJ32d2LFAyrD
        ulF6pLqA6yMz//ZUDoIEYFzcLw5zCjZ/iflolNEZ+UBnKc9UEKlFr/CHvFRIKk4V
        OzKb435VJ0dX8/24m7hDSNzAXQQZLIcK0dyjxatsSPvnAGxgubkl0H1dwWClul4t
        FmvXsI+zKQKBgQDUZMvTLaWOhEt1BCLpVQ9iQR+/ANuUix2kWq0fgiOuDRuVDMDT
        u/yf8iuZjjzeWdDS10PhM4JNOcpyZa7Qc6VZ+C3o3jmR7PigdKaLi/G24fuJrALY
        HS4fnJ17wHOH+pZxtTMdDQSOVFuP6qIS4fPaDQPwAtltWxPPiUltZRsOPQKBgGbZ
        XrQfBZj1AlZLX+vE3sSqbPH7pYN24FFbiprL/x8fqbego6a0zlNElxAFCJCv05q+
        x7l9q/V57y5tAoCPAZK7KDeaf6oavLMwiqv+iZUX74PH33tWyMRPtTNSNMX1Lpbh
        i0uHGv9pQU6qrj0pbHBBLnGuDHfaWk64Ozy3O+7BAoGBAJxYI98ZCqBXU6SKoMha
        BsF+6b0K9d8H9vaiiVe6+OC2Ksbn4hS2fvEqFI8O7oA7D4ab8Mfvl80JzDyGxdYa
        7gL0PwLu1qrO/85qw8+gKYJGTm6PFwm2axAFcIK3S54J35RpaKqWUkVPwDt7B4Wq
        86UlKw6qofvHMwxqXjLsTg3y
        -----END PRIVATE KEY-----
        """

    /// PEM: a client certificate (`/C=DE/ST=Berlin/O=Mock Org/CN=client-user`).
    public static let clientCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIDhjCCAm6gAwIBAgICEAEwDQYJKoZIhvcNAQELBQAwVDELMAkGA1UEBhMCREUx
        DzANBgNVBAgMBkJlcmxpbjEQMA4GA1UECgwHTW9jayBDQTEiMCAGA1UEAwwZbXlz
        cWwtc2VydmVyLW1vY2sgdGVzdCBDQTAeFw0yNjExMjcwNzE1MTFaFw0zNjExMjQw
        NzE1MTFaMEcxCzAJBgNVBAYTAkRFMQ8wDQYDVQQIDAZCZXJsaW4xETAPBgNVBAoM
        CE1vY2sgT3JnMRQwEgYDVQQDDAtjbGllbnQtdXNlcjCCASIwDQYJKoZIhvcNAQEB
        BQADggEPADCCAQoCggEBAJGa2f5JbqIGIQ7IzvV3+ruYW4QCyNpxMptzD0ZnXx1I
        RucRWNVhc+alKSSYJ1/nOuvZmOd9iNOs+EmPWRN7Xhs53RwA2vUILrkJTg9FU1JE
        Bj1tDnXWKZ1ZIQBcYXsSQAuGhc7q9V50yopKdgUQdKIVD3Xl9xMCzQh/9TQT+ems
        JtAIuRN5zIL/sAeBgwCheImSMwTq2EozbaHXo1amg0USaTJmKXSfdNj2XoJ1kYzz
        VidbpongA0DU+KSVBBna4U7FhjadWs9j7/eIM0xvj2+YaJ3GObDZU/rHo+rne5gp
        rwNyAE8AbLiTejtH+Wuu57NdH/pI9jY5k2COW22zkwcCAwEAAaNvMG0wCQYDVR0T
        BAIwADALBgNVHQ8EBAMCBaAwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0OBBYE
        FCJ+vWFFUjenNvdBy8y3idxG9evQMB8GA1UdIwQYMBaAFIazGJBc2Elajm21688p
        VG/CTbM+MA0GCSqGSIb3DQEBCwUAA4IBAQBo2U3qKeiSl8pVdn258I/4A93B+xtk
        f1G2wHlE5L2fRXlPb8IWPlyO0xFe2eJ0hfEMKnL6xv6oL5ZUm1SEOMsJFcyaUIRx
        y5fprk1BVngXBuUww1P1vsGwm2wZn9UwlUe+FMq4at3xEq/WTc6Uf7UZQcIAxXDg
        wQ51pn5VpD2Ucbc07eGtJHrKlWuFMHxdQ3QLd7sGBcF0zfguUUJiYRDLgtFL8nh9
        VBjvXdwVrsBQi/aZ4auPL0RfW+cl1EVOEWPUH23Lmmn9Xn7MjOioaiUn1LOaWxIB
        xa45cqatD6kucox1mBI9+ghnpj8f98M2+qTMBvpBU6Fhmz/YhnYcXwS4
        -----END CERTIFICATE-----
        """

    /// PEM: the client certificate's private key.
    public static let clientKey = """
        -----BEGIN PRIVATE KEY-----
        MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQCRmtn+SW6iBiEO
        yM71d/q7mFuEAsjacTKbcw9GZ18dSEbnEVjVYXPmpSkkmCdf5zrr2ZjnfYjTrPhJ
        j1kTe14bOd0cANr1CC65CU4PRVNSRAY9bQ511imdWSEAXGF7EkALhoXO6vVedMqK
        SnYFEHSiFQ915fcTAs0If/U0E/nprCbQCLkTecyC/7AHgYMAoXiJkjME6thKM22h
        16NWpoNFEmkyZil0n3TY9l6CdZGM81YnW6aJ4ANA1PiklQQZ2uFOxYY2nVrPY+/3
        iDNMb49vmGidxjmw2VP6x6Pq53uYKa8DcgBPAGy4k3o7R/lrruezXR/6SPY2OZNg
        jltts5MHAgMBAAECggEAQIwySX1KMz+eVgyFWuJ2X8V6BHqridMWyTznr6FR1Axf
        ij3xcJ7EH6JmK9fb1LMQNs/+7diD2LrcUtfeeDl/jXhIYgqrBmc7N0I9vZ1RA64u
        SfrXpztqtVt2us85U7LSe4mGNiWI4vfJdibuTO5vlg7aDL0GnAHo3PTEwfJ9Hq5M
        M6/m4ZPFX0Qy7+95wq5jBR8PHkJCA+a8ZZpzBZGVIgYDBZljstJQZWdwivSZ6EHg
        6Z8rBMNy7Eog5JQ+801L7UXZ39E0ZcaxeBJw2r6igovwz9IxquIQMDkWgGNiLnY6
        oYri2kdA5JGcuYDG/FMqr5RHUFGEd8DQE4xN4dmsSQKBgQDIuG8TCTqTZHXn7i5u
        gz1DqpnZ71gS/rhnVo2oyFjdSDdELKr0WnSTuzFUeTtH93kL10FOhO/vFXYwKBMK
        5S8468GpB5WMxW6cRMrRtlZhqUtPdZb+LSZ0YNrvZIIfKq+lomXxuNQ/pWUnsqu1
        k9zQker9IV867XwNbBQdhg+t2wKBgQC5tI7nAv1HR21hZB8fFG/C0cmVVZphorUm
        vCgX09RTYi/Sk6d51HWyHAkHcSYnh10UJzME5rOU+BrGRvoK+ULno688usMk1Qkm
        jx2hMd0JxzIqzvfbWGJD72J/30dDysci4+2lI13oFSQ2id20Hjka9QKFourwzX3c
        nx4I4EBVRQKBgQCKYdV6W09+FLHRP/3VBTg0saa2gPPIzMJXxG2P4uiZTtODdgQ6
        yS48N7+PzLEZMb3LcxE8UByXScWc99QBG/cNmESBA5CQaAGVTTxDjyFI3Y3lb121
        SW2MqMXoa/PmBujoGemM2G/EnYP69Yy6eAGx7hgDgoGEP/zZyByqKiYfJwKBgQCJ
        LhQSGmc27FCkjO1gbBxS8d3TbrToQuVGg9+qGlTSc8mX6HLi0EtREtyonrDsqlXb
        uUk66aDm/o/owC2dRZxiuMuONPhKkQR9c2MT3F3IB1nLva/iXFvai09b3ngqX/TS
        lUTLpGCOPG/Pye/4SgstGqiOR1b+Iw5Cl1f8fouHcQKBgQCxm1ny9kk3yKI3VgKm
        HO8e9C5vGwPnY7Li0dze/FfdoZmEtc96JvQ4iYFuN3Ux2haLi4O5Z8p03HbvyPho
        JdyJBT9a+q/aE0x9KI0MVLweAHGRPqzBg6OtXcS4W0aV79CVi5NdYdbpzkiyYWh5
        TNBSjHWoRvNoka9GRu22AWlgEg==
        -----END PRIVATE KEY-----
        """

    /// Server TLS settings with the test server certificate (`--ssl-mode`, `--ssl-cert`, `--ssl-key`);
    /// with `verifyClients`, client certificates are requested and checked against the test CA
    /// (`--ssl-ca`).
    public static func tls(mode: SSLMode = .required, verifyClients: Bool = false) throws -> TLSSettings {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(serverCertificate.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serverKey.utf8), format: .pem)))
        if verifyClients {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caCertificate.utf8)))
        }
        return TLSSettings(mode: mode, context: try NIOSSLContext(configuration: configuration), revokedSerials: [])
    }

    /// A client configuration that trusts the test CA (and so the test server certificate).
    public static func clientConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caCertificate.utf8)))
        return configuration
    }
}
