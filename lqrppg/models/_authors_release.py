"""SHA-256 of the files of the LQ-rPPG authors' release at the commit the importer knows.

Computed from the files of github.com/Anonymous-repo-code/LQ-rPPG at commit
a9e78aeeae3c39fc90a927d20df94442c3433b46 (``PreTrainedModels/*.pth`` and ``configs/*.yaml``).
A user's copy whose digests match is that release, byte for byte; the importer says so in the
model card (and says when a file does not match).
"""

__all__ = ["RELEASE_COMMIT", "RELEASE_REPOSITORY", "RELEASE_SHA256"]

RELEASE_REPOSITORY = "https://github.com/Anonymous-repo-code/LQ-rPPG"
RELEASE_COMMIT = "a9e78aeeae3c39fc90a927d20df94442c3433b46"

#: Path inside the repository -> SHA-256 (hex) of the file at ``RELEASE_COMMIT``.
RELEASE_SHA256 = {
    "configs/COHFACE_COHFACE_LQC2F.yaml": "5e245530d914dd63929915070cb6abf311505198868e99b1983e3b8b8af453a1",
    "configs/MMPD_MMPD_LQC2F.yaml": "734b5eca20c8efad6d071defe2f61b648203fd4ee5026c306c27ef1e10d4b54f",
    "configs/PURE_MMPD_LQC2F.yaml": "9a8bab500c899cede508ad3b2db0b0cfa4c985fbbf0078ed2e8faa9806c0dc87",
    "configs/PURE_PURE_LQC2F.yaml": "e07e1807af94533e4b427d357c9e73854fd20caec0ea39a836aebb3c6c27deac",
    "configs/PURE_UBFC_LQC2F.yaml": "7b540a3617a1a082e676f9655533f2cfc694be87274f56698a82f753c8457729",
    "configs/UBFC_MMPD_LQC2F.yaml": "9752a8e725413ae32e8feaa5a153c5127b02ac9c2e55b015d689b0df874badb0",
    "configs/UBFC_PURE_LQC2F.yaml": "40ffcb5e0e92a22ca0fe6dd5e5e436c31c2303036d6ac2253ddfc57872a4e0b4",
    "configs/UBFC_UBFC_LQC2F.yaml": "ba01616dbef6419de6c135694be0bb962446f8b0a39ea0a4a2528c77dfea022b",
    "configs/V4V_V4V_LQC2F.yaml": "15f18d6f9a63dd781a7e10df95b14b7875abadeaa1bc30ea3f87eed1606f5639",
    "PreTrainedModels/COHFACE_COHFACE_LQC2F_1th_LQ_Epoch16.pth": "f9b02e055038af6fae0abdbb22b4fd0ed3581f8d578e2745e75b536822f3d500",
    "PreTrainedModels/COHFACE_COHFACE_LQC2F_2th_LQ_Epoch17.pth": "7071809de1f21aedbac7da1576ac74c181e7040105321ec3919a6567d908b128",
    "PreTrainedModels/COHFACE_COHFACE_LQC2F_3th_LQ_Epoch27.pth": "f7a59ce59ea79c2b961784d790ac4580751691052439167239e4dca69b446eca",
    "PreTrainedModels/COHFACE_COHFACE_LQC2F_4th_LQ_Epoch27.pth": "842e14987d05979a5e7259274d3272f67cbe69a37c423cf74fc32362aed37656",
    "PreTrainedModels/COHFACE_COHFACE_LQC2F_5th_LQ_Epoch13.pth": "d514f3c018f7d47d82a264cd38b7082bfa4356a9594dc77ca561d5092da210a8",
    "PreTrainedModels/COHFACE_COHFACE_LQC2F_rPPG_Epoch26.pth": "bcbd885f33b56e25c0ff3500407b2f54918d21661a4d8078760b9cd93b825ca6",
    "PreTrainedModels/MMPD_MMPD_LQC2F_1th_LQ_Epoch6.pth": "55e84cdd97cc3ca920ba83fefe51c294fbac721eb20af6653b0f7fe280e08415",
    "PreTrainedModels/MMPD_MMPD_LQC2F_2th_LQ_Epoch5.pth": "3e8f68490c5a74a84f8a3af2576d4a3c45350340d59047f465e3c110d0cea69d",
    "PreTrainedModels/MMPD_MMPD_LQC2F_3th_LQ_Epoch7.pth": "e60222d364fe1257f7c819bf0c7d96087ae1e443e45a6bd9768f634e12b5857e",
    "PreTrainedModels/MMPD_MMPD_LQC2F_4th_LQ_Epoch29.pth": "69319f2c85f95599cbca054567af0191b9e82435528797b6041506bff5b05827",
    "PreTrainedModels/MMPD_MMPD_LQC2F_5th_LQ_Epoch14.pth": "744fde8d293f832e5b74372984e2508b80d8f1ec5f5eab407a229f42fa19ad87",
    "PreTrainedModels/MMPD_MMPD_LQC2F_rPPG_Epoch19.pth": "1bd592a1bdd2594eac3817d6f738c9bc04b8c429a1232c381b64718e2ff096b6",
    "PreTrainedModels/PURE_MMPD_LQC2F_1th_LQ_Epoch7.pth": "27dfb16ff5f9ae5e02af2c28f6e76551f5c43484601c1ee43220c856b77a801c",
    "PreTrainedModels/PURE_MMPD_LQC2F_2th_LQ_Epoch7.pth": "166bb637eb2c6f0977788025bbddc041ea9bffe0d258f813005b4f47bc8f5d8e",
    "PreTrainedModels/PURE_MMPD_LQC2F_3th_LQ_Epoch13.pth": "31ad5438a28313f13be53c5d5ddbc5f38a01cca30b3774582efcf4937ff85491",
    "PreTrainedModels/PURE_MMPD_LQC2F_4th_LQ_Epoch26.pth": "0a088ee423616f69246a4d3d3108aadd07e2fa9ed9798871c75d185712c1141c",
    "PreTrainedModels/PURE_MMPD_LQC2F_5th_LQ_Epoch19.pth": "0d216176487fe90bbd2e37449a317383fb7202a7112d1a7cf42420016f69e12f",
    "PreTrainedModels/PURE_MMPD_LQC2F_rPPG_Epoch30.pth": "669f456f218e0e2cd6188e3f7e2eeccf69017c2486ba79b645754c45d91eb2f2",
    "PreTrainedModels/PURE_PURE_LQC2F_1th_LQ_Epoch12.pth": "a153fe0afeefb0eafb5356fdc8c5b5c0f790d4c91dc0156c039eb95ff954913e",
    "PreTrainedModels/PURE_PURE_LQC2F_2th_LQ_Epoch17.pth": "ee95014551ae74b780ce223a00b95751005d29380c5b1b647ce9811bc8041d0a",
    "PreTrainedModels/PURE_PURE_LQC2F_3th_LQ_Epoch12.pth": "b0c02fe3e1ab408909a16ff466afebbcdd25bc89e377eafa5368e28ca338f8b2",
    "PreTrainedModels/PURE_PURE_LQC2F_4th_LQ_Epoch9.pth": "a1479ba94a825ff03fffa117633f4aab1ece7a9f49ff4ade486ec6f273b70e84",
    "PreTrainedModels/PURE_PURE_LQC2F_5th_LQ_Epoch12.pth": "f01ad56b862e6676b5be58c9c92a1d35f339e8bbb889e8426bff248f31c04fa5",
    "PreTrainedModels/PURE_PURE_LQC2F_rPPG_Epoch49.pth": "fe6f259032b78db779cef039ea4bc64a1e1c326cd10de267fe06b2aecfd1d5d8",
    "PreTrainedModels/PURE_UBFC_LQC2F_1th_LQ_Epoch10.pth": "73faee5a8bb2dc8011386141ffd5493ea966773eacfe37368c880d2e23b16304",
    "PreTrainedModels/PURE_UBFC_LQC2F_2th_LQ_Epoch11.pth": "00f3a253507e8e502fb5014015adb732313040baae1664cc4388b6c2e71c1fd8",
    "PreTrainedModels/PURE_UBFC_LQC2F_3th_LQ_Epoch19.pth": "ed50483a60beeea76f22da1861cbe7122954245e9487b465c477d80ae590a47f",
    "PreTrainedModels/PURE_UBFC_LQC2F_4th_LQ_Epoch22.pth": "61e9bcaf9466ab4e4bdde63a9e43e66762c9d57f62aaeeba24ceeec15c45005f",
    "PreTrainedModels/PURE_UBFC_LQC2F_5th_LQ_Epoch10.pth": "714aaf7fdf6d547f8eac4e46371763682ad6a21eb8d260b09004ce7c90816b67",
    "PreTrainedModels/PURE_UBFC_LQC2F_rPPG_Epoch10.pth": "f54761d4166237bc22078c43b8915203816afdfe8b1b28536de7b17723982789",
    "PreTrainedModels/UBFC_MMPD_LQC2F_1th_LQ_Epoch9.pth": "81bdee3711738999eb41879765546a4c1467b490d07ad506c3aa721db2217fe4",
    "PreTrainedModels/UBFC_MMPD_LQC2F_2th_LQ_Epoch5.pth": "71681616458ed208d500c66575885e4335f5814e31720e5dd9c969a929c16882",
    "PreTrainedModels/UBFC_MMPD_LQC2F_3th_LQ_Epoch18.pth": "4c79f8a054e186e6d403db7b06146edf824e3077beb2fea5e1c9abfd8b54a0ec",
    "PreTrainedModels/UBFC_MMPD_LQC2F_4th_LQ_Epoch19.pth": "f65c8db04fdce7592e96676b74a6df35a8e89576379468fcd14913ea4a170abb",
    "PreTrainedModels/UBFC_MMPD_LQC2F_5th_LQ_Epoch18.pth": "5c7d3635b3125e67db8aec9164d047445ef27deac8e82ad8a38826f2651647d5",
    "PreTrainedModels/UBFC_MMPD_LQC2F_rPPG_Epoch21.pth": "403673a47718158ea37b9760079dcd4cb1e3ab6a1050fbfd25d0da7ce4c3d087",
    "PreTrainedModels/UBFC_PURE_LQC2F_1th_LQ_Epoch9.pth": "be1c4b18681f85292e8ccda68d4e8564a930c8ef41ea4d3c40e3bcf1738d9b02",
    "PreTrainedModels/UBFC_PURE_LQC2F_2th_LQ_Epoch5.pth": "4c1a6f3b1e3ef2751a50b4244433e60b50bedc25aa949944d636f27a59d5a877",
    "PreTrainedModels/UBFC_PURE_LQC2F_3th_LQ_Epoch18.pth": "314a34b02f4d56c79095be36e4c10c860b82a5846bb037d309e0cc200252db3f",
    "PreTrainedModels/UBFC_PURE_LQC2F_4th_LQ_Epoch19.pth": "ec390e43f3ad08b99f8607dcef1ba63b97c0780694f6a2b2754c296156cc467d",
    "PreTrainedModels/UBFC_PURE_LQC2F_5th_LQ_Epoch18.pth": "442a6f7ead3f295904a0737dae13885f077b092c13f59c9b07378497a815a9cb",
    "PreTrainedModels/UBFC_PURE_LQC2F_rPPG_Epoch20.pth": "02e72c8b0a178b24543cc0fb5f403e284aa1925825c9d843b0669fb7ba1329f6",
    "PreTrainedModels/UBFC_UBFC_LQC2F_1th_LQ_Epoch9.pth": "83cefc0ff576ae66d790ff6afe97803d02bc3a457cbef543944351c9bafd35f0",
    "PreTrainedModels/UBFC_UBFC_LQC2F_2th_LQ_Epoch8.pth": "3d17a2f823101ae6d7bd7fa9f036f6457ac421bf4f7b38cef688c8cc99434e78",
    "PreTrainedModels/UBFC_UBFC_LQC2F_3th_LQ_Epoch11.pth": "408f4061d23b804ce52ea8f380a6f8520c42479a2e7109f49692411029e3fbfd",
    "PreTrainedModels/UBFC_UBFC_LQC2F_4th_LQ_Epoch19.pth": "3023e1aaa46b9c96a681adcf5a843ef958c586f1acf82f23afdac0984169a072",
    "PreTrainedModels/UBFC_UBFC_LQC2F_5th_LQ_Epoch26.pth": "ab44ccbdd37d17a08223eb6ca43dc44e2e524ab08f90db30be7e18c6dcc78e49",
    "PreTrainedModels/UBFC_UBFC_LQC2F_rPPG_Epoch49.pth": "44f19d95df9234757cd165821263b0087549fb2e50e01e0cc6a6b6168f58181f",
    "PreTrainedModels/V4V_V4V_LQC2F_1th_LQ_Epoch7.pth": "8a0ad96f13a4ab5f50abf35caaf149f2ac6df2305e8aac4ca1696e63cb6bee0c",
    "PreTrainedModels/V4V_V4V_LQC2F_2th_LQ_Epoch10.pth": "b4685606b8542d5907bc77919a562e8cf4e6af27eee426dca20089e86b4b0b6f",
    "PreTrainedModels/V4V_V4V_LQC2F_3th_LQ_Epoch12.pth": "49acb4de9b958ba3265c548270a055c082d39f91c405ee737836677b16c599aa",
    "PreTrainedModels/V4V_V4V_LQC2F_4th_LQ_Epoch10.pth": "bfff2869352a0705c4eddaf22abe9a28b2162b5c86f53c1e191c4ed59e9ce7b7",
    "PreTrainedModels/V4V_V4V_LQC2F_5th_LQ_Epoch7.pth": "c0aa9fae6b5abe7fd4a5468be38042b22ecbf50518779174e7dfd7d5a03bb52d",
    "PreTrainedModels/V4V_V4V_LQC2F_rPPG_Epoch46.pth": "855d7bf494dc8b7efac8cf928a6f394ee28ce2eb0dcc77680d86b82aaa3ccf8e",
}
